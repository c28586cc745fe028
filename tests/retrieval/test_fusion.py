"""Score fusion of the dense and lexical sides (``retrieval.search.fuse_scores``), the
norm route's rank-based normal scores (``retrieval.search.normal_scores``) and which questions
keep the lexical side's full share in the tuned search (``retrieval.search.cites_a_law``)."""
from __future__ import annotations

import pytest

import numpy as np

from retrieval.search import Hit, cites_a_law, fuse_scores, normal_scores


def ranked(hits: list[Hit]) -> list[str]:
    return [h.chunk_id for h in sorted(hits, key=lambda h: -h.score)]


def disagreeing_hits() -> list[Hit]:
    """Three hits the two sides rank in opposite orders."""
    return [Hit("a", 0.0, dense_similarity=0.70, lexical_score=9.0),
            Hit("b", 0.0, dense_similarity=0.90, lexical_score=1.0),
            Hit("c", 0.0, dense_similarity=0.80, lexical_score=5.0)]


def test_lexical_share_zero_ranks_by_dense_similarity_alone():
    hits = disagreeing_hits()
    fuse_scores(hits, 0.0)
    assert ranked(hits) == ["b", "c", "a"]


def test_lexical_share_one_ranks_by_bm25_alone():
    hits = disagreeing_hits()
    fuse_scores(hits, 1.0)
    assert ranked(hits) == ["a", "c", "b"]


def test_a_passage_strong_on_both_sides_beats_one_strong_on_a_single_side():
    hits = [Hit("both", 0.0, dense_similarity=0.85, lexical_score=8.0),
            Hit("dense-only", 0.0, dense_similarity=0.90, lexical_score=1.0),
            Hit("bm25-only", 0.0, dense_similarity=0.60, lexical_score=10.0)]
    fuse_scores(hits, 0.4)
    assert ranked(hits)[0] == "both"


def test_scale_of_the_raw_scores_does_not_matter():
    """z-normalisation: multiplying all BM25 scores by 100 changes no fused score."""
    make = lambda factor: [Hit(c, 0.0, dense_similarity=d, lexical_score=l * factor)  # noqa: E731
                           for c, d, l in (("a", 0.8, 3.0), ("b", 0.7, 6.0), ("c", 0.9, 1.0))]
    small, large = make(1.0), make(100.0)
    fuse_scores(small, 0.4)
    fuse_scores(large, 0.4)
    assert [h.score for h in small] == pytest.approx([h.score for h in large])


def test_hit_missing_from_one_side_gets_that_sides_lowest_score():
    hits = [Hit("a", 0.0, dense_similarity=0.9, lexical_score=None),
            Hit("b", 0.0, dense_similarity=0.5, lexical_score=2.0),
            Hit("c", 0.0, dense_similarity=0.4, lexical_score=6.0)]
    fuse_scores(hits, 1.0)
    assert hits[0].score == pytest.approx(hits[1].score), "absent counts as the lowest present, not as zero"


def test_only_lexical_scores_present_uses_them_fully_whatever_the_share():
    hits = [Hit("a", 0.0, lexical_score=1.0), Hit("b", 0.0, lexical_score=4.0)]
    fuse_scores(hits, 0.4)
    assert ranked(hits) == ["b", "a"] and hits[1].score > 0 > hits[0].score


def test_not_yet_embedded_passage_competes_on_its_keyword_score():
    """While the dense index is built, a chunk without embedding is not ranked as dissimilar."""
    hits = [Hit("embedded", 0.0, dense_similarity=0.9, lexical_score=1.0),
            Hit("pending", 0.0, dense_similarity=None, lexical_score=9.0, not_embedded=True),
            Hit("weak", 0.0, dense_similarity=0.5, lexical_score=2.0)]
    fuse_scores(hits, 0.4)
    assert ranked(hits)[0] == "pending"
    unmarked = [Hit(h.chunk_id, 0.0, dense_similarity=h.dense_similarity, lexical_score=h.lexical_score)
                for h in hits]
    fuse_scores(unmarked, 0.4)
    assert ranked(unmarked)[0] == "embedded"


def test_no_hits_is_a_no_op():
    hits: list[Hit] = []
    fuse_scores(hits, 0.4)
    assert hits == []


def test_normal_scores_keep_the_order_and_give_ties_one_score():
    scores = normal_scores(np.array([2.0, 0.0, 5.0, 0.0]))
    assert list(np.argsort(scores, kind="stable")) == [1, 3, 0, 2]
    assert scores[1] == scores[3]
    assert abs(normal_scores(np.array([1.0, 2.0, 3.0]))[1]) < 1e-12
    assert normal_scores(np.array([])).shape == (0,)


def test_one_match_among_hundreds_of_zeros_stays_near_three():
    values = np.zeros(511)
    values[7] = 0.95
    z = (values - values.mean()) / values.std()
    assert z[7] > 20                      # what a z-score makes of it
    scores = normal_scores(values)
    assert 2.5 < scores[7] < 3.2 and abs(scores[0]) < 0.01


@pytest.mark.parametrize("question, cites", [
    ("Welche Leistungen können nach § 16 SGB II erbracht werden?", True),
    ("Was gilt nach §§ 88 bis 92 SGB III?", True),
    ("Gilt § 7 Abs. 3 i. V. m. § 9 SGB II?", True),
    ("Was regelt § 16?", False),                        # a § without its law names no norm
    ("Zahlt das Jobcenter die Klassenfahrt?", False),
])
def test_a_question_citing_a_law_is_told_from_one_in_everyday_words(question, cites):
    assert cites_a_law(question) is cites
