"""BM25 search: sparse scoring gives the ranking of bm25s's dense scoring over all chunks."""
from __future__ import annotations

import numpy as np

from index.lexical import LexicalIndex

TEXTS = [
    "Das Jobcenter übernimmt die Kosten der Unterkunft in angemessener Höhe.",
    "Die Agentur für Arbeit fördert die Weiterbildung durch Übernahme der Weiterbildungskosten.",
    "Alleinerziehende erhalten einen Mehrbedarf; die Kosten der Heizung trägt der kommunale Träger.",
    "Der Arbeitgeber kann einen Eingliederungszuschuss erhalten.",
    "Das Vermittlungsbudget deckt Bewerbungskosten und Reisekosten.",
    "Unterkunft und Heizung werden in Höhe der tatsächlichen Aufwendungen anerkannt.",
    "Der Regelbedarf umfasst Ernährung, Kleidung und Hausrat.",
]
IDS = [f"c{i}" for i in range(len(TEXTS))]


def _index() -> LexicalIndex:
    return LexicalIndex.build(IDS, TEXTS)


def test_search_ranks_like_dense_bm25_scores():
    index = _index()
    question = "Kosten der Unterkunft und Heizung"
    dense = np.asarray(index._retriever.get_scores(index.tokens(question)), dtype=np.float32)
    expected = [(IDS[i], float(dense[i])) for i in np.argsort(-dense, kind="stable") if dense[i] > 0]
    hits = index.search(question, k=len(IDS))
    assert [cid for cid, _ in hits] == [cid for cid, _ in expected]
    assert np.allclose([s for _, s in hits], [s for _, s in expected], rtol=1e-6)


def test_search_returns_only_chunks_holding_a_query_term_best_k_first():
    hits = _index().search("Eingliederungszuschuss Vermittlungsbudget", k=5)
    assert {cid for cid, _ in hits} == {"c3", "c4"}
    assert _index().search("Kosten der Unterkunft", k=1)[0][0] in {"c0", "c5", "c2"}


def test_search_respects_allowed_ids_and_mask():
    index = _index()
    mask = np.array([i != 0 for i in range(len(IDS))])
    hits = index.search("Kosten der Unterkunft", k=5, allowed={"c0", "c2", "c5"}, mask=mask)
    assert hits and {cid for cid, _ in hits} <= {"c2", "c5"}


def test_question_without_a_known_term_finds_nothing():
    assert _index().search("Rundfunkbeitrag Dortmund", k=5) == []


def test_a_word_is_a_corpus_word_only_as_written_not_as_a_stem():
    index = _index()
    assert index.is_word("unterkunft") and index.is_word("kosten")
    # "angemessener" is written, its stem "angemess" and the bare "angemessen" are not.
    assert index.known_fraction("angemessen") == 1.0 and not index.is_word("angemessen")


def test_document_frequency_counts_the_chunks_that_hold_a_token():
    index = _index()
    [heizung] = index.tokens("Heizung")
    assert index.document_frequency(heizung) == 2          # c2, c5
    [zuschuss] = index.tokens("Eingliederungszuschuss")[:1]
    assert index.document_frequency(zuschuss) == 1
    assert index.document_frequency("keinsolchestoken") == 0


def test_document_share_is_the_share_of_chunks_that_hold_a_token():
    index = _index()
    [heizung] = index.tokens("Heizung")
    assert index.document_share(heizung) == 2 / len(index)
    assert index.document_share("keinsolchestoken") == 0.0


def test_the_first_word_is_checked_for_unknown_terms_only_when_asked():
    index = _index()
    # German capitalises every sentence start, so the first word is skipped by default;
    # a question in another language may open with the German term it asks about.
    assert index.unknown_terms("Rundfunkbeitrag ne kadar?", tolerate_typos=False) == []
    assert index.unknown_terms("Rundfunkbeitrag ne kadar?", tolerate_typos=False,
                               first_word=True) == ["Rundfunkbeitrag"]
    assert index.unknown_terms("Eingliederungszuschuss ne kadar?", tolerate_typos=False, first_word=True) == []


def test_the_rarest_tokens_keep_every_token_as_rare_as_the_last_one():
    index = _index()
    # "Heizung" is in two chunks, "Kosten" in more, "Eingliederungszuschuss" and "Hausrat" in one.
    assert index.rarest_tokens("Kosten der Heizung und Hausrat", 1) == index.tokens("Hausrat")
    assert set(index.rarest_tokens("Eingliederungszuschuss Hausrat Kosten", 1)) == \
        set(index.tokens("Eingliederungszuschuss")[:1] + index.tokens("Hausrat"))
    assert index.rarest_tokens("Rundfunkbeitrag 2025", 2) == []
