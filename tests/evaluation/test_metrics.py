"""Metric functions on hand-made cases whose answers are known."""
from __future__ import annotations

import pytest

from evaluation import metrics
from retrieval import answer as answer_types

PASSAGE_14 = ("§ 14 Abs. 1 SGB II: Die Träger der Leistungen nach diesem Buch unterstützen erwerbs-\n"
              "fähige Leistungsberechtigte umfassend mit dem Ziel der Eingliederung in Arbeit.")
QUOTE_14 = "unterstützen erwerbsfähige Leistungsberechtigte umfassend"
PASSAGE_OTHER = "§ 18 SGB III: Langzeitarbeitslos sind Arbeitslose, die ein Jahr und länger arbeitslos sind."


def case(answerable=True, abstained=False, evidence=(QUOTE_14,), citations=(), text="", sentences=()):
    return {"answerable": answerable, "abstained": abstained, "evidence": list(evidence),
            "citations": [{"number": n, "text": t} for n, t in citations], "text": text,
            "sentences": list(sentences)}


# -- normalisation and matching ------------------------------------------------------


def test_normalise_joins_hyphenation_at_line_end():
    assert metrics.normalise("erwerbs-\nfähige") == metrics.normalise("erwerbsfähige") == "erwerbsfähige"


def test_normalise_ignores_case_spaces_and_punctuation():
    assert metrics.normalise("Die  TRÄGER, der\tLeistungen!") == "dieträgerderleistungen"


def test_normalise_folds_sharp_s_and_compatibility_characters():
    assert metrics.normalise("Straße") == metrics.normalise("STRASSE") == "strasse"
    assert metrics.normalise("Abs. ²") == "abs2"  # NFKC: superscript two is the digit 2


def test_passage_holds_quote_across_hyphenated_line_break():
    assert metrics.holds_evidence(PASSAGE_14, [QUOTE_14])


def test_passage_holds_quote_in_other_case():
    assert metrics.holds_evidence(PASSAGE_14, [QUOTE_14.upper()])


def test_any_one_quote_suffices():
    assert metrics.holds_evidence(PASSAGE_14, ["steht nirgends", QUOTE_14])


def test_passage_without_quote_does_not_hold():
    assert not metrics.holds_evidence(PASSAGE_OTHER, [QUOTE_14])


def test_punctuation_only_quote_never_matches():
    assert not metrics.holds_evidence(PASSAGE_14, ["…", " - "])


def test_no_quotes_never_match():
    assert not metrics.holds_evidence(PASSAGE_14, [])


def test_evidence_rank_is_first_holding_passage():
    assert metrics.evidence_rank([PASSAGE_OTHER, PASSAGE_14, PASSAGE_14], [QUOTE_14]) == 2


def test_evidence_rank_none_when_no_passage_holds():
    assert metrics.evidence_rank([PASSAGE_OTHER], [QUOTE_14]) is None


def test_evidence_rank_none_for_no_passages():
    assert metrics.evidence_rank([], [QUOTE_14]) is None


# -- retrieval -----------------------------------------------------------------------


def test_recall_and_mrr_perfect():
    assert metrics.recall_at_k([1, 1, 1], 1) == 1.0
    assert metrics.mrr_at_k([1, 1, 1], 10) == 1.0


def test_recall_counts_ranks_up_to_k():
    ranks = [1, 3, 6, None]
    assert metrics.recall_at_k(ranks, 1) == 0.25
    assert metrics.recall_at_k(ranks, 5) == 0.5
    assert metrics.recall_at_k(ranks, 10) == 0.75


def test_mrr_ignores_ranks_beyond_k():
    assert metrics.mrr_at_k([1, 4, 11, None], 10) == pytest.approx((1 + 0.25) / 4)


def test_recall_and_mrr_of_no_queries_are_undefined():
    assert metrics.recall_at_k([], 5) is None
    assert metrics.mrr_at_k([], 10) is None


def test_first_relevant_rank_counts_each_document_once():
    # Three chunks of paragraph "a" before the gold paragraph "b": "b" is the 2nd paragraph.
    assert metrics.first_relevant_rank(["a", "a", "a", "b"], {"b"}) == 2


def test_ir_metrics_dict_contract():
    ranked = {"q1": ["d1", "d2"], "q2": ["d3", "d3", "d4"], "q3": []}
    relevant = {"q1": {"d1"}, "q2": {"d4"}, "q3": {"d9"}, "q4": {"d1"}}
    result = metrics.ir_metrics(ranked, relevant, ks=(1, 5))
    assert result == {"recall@1": 0.25, "recall@5": 0.5, "mrr@5": pytest.approx((1 + 0.5) / 4)}


# -- answers ---------------------------------------------------------------------------


def test_answer_support_perfect():
    cases = [case(citations=[(1, PASSAGE_14)]), case(citations=[(1, PASSAGE_OTHER), (2, PASSAGE_14)])]
    assert metrics.answer_support(cases) == 1.0


def test_answer_support_counts_abstention_and_wrong_citation_as_unsupported():
    cases = [case(citations=[(1, PASSAGE_14)]), case(abstained=True), case(citations=[(1, PASSAGE_OTHER)]),
             case(citations=[])]
    assert metrics.answer_support(cases) == 0.25


def test_answer_support_ignores_unanswerable_questions():
    cases = [case(citations=[(1, PASSAGE_14)]), case(answerable=False, evidence=(), citations=[(1, PASSAGE_OTHER)])]
    assert metrics.answer_support(cases) == 1.0


def test_answer_support_undefined_without_answerable_questions():
    assert metrics.answer_support([case(answerable=False, evidence=())]) is None
    assert metrics.answer_support([]) is None


def test_citation_precision_is_share_of_holding_citations():
    cases = [case(citations=[(1, PASSAGE_14), (2, PASSAGE_OTHER)]), case(citations=[(1, PASSAGE_14)])]
    assert metrics.citation_precision(cases) == pytest.approx(2 / 3)


def test_citation_precision_skips_unanswerable_and_abstained():
    cases = [case(citations=[(1, PASSAGE_14)]), case(answerable=False, evidence=(), citations=[(1, PASSAGE_OTHER)]),
             case(abstained=True, citations=[(1, PASSAGE_OTHER)])]
    assert metrics.citation_precision(cases) == 1.0


def test_citation_precision_undefined_without_citations():
    assert metrics.citation_precision([case(abstained=True)]) is None


def test_markers_are_read_singly_and_grouped():
    assert metrics.markers("Satz eins. [1] Satz zwei [2, 3]. Satz drei [4; 1]. Liste [a] und [ ]") == [1, 2, 3, 4, 1]


def test_markers_resolvable_all_pointing_to_citations():
    cases = [case(text="A. [1] B. [2]", citations=[(1, PASSAGE_14), (2, PASSAGE_OTHER)])]
    assert metrics.markers_resolvable(cases) == 1.0


def test_out_of_range_marker_is_not_resolvable():
    cases = [case(text="A. [1] B. [3]", citations=[(1, PASSAGE_14), (2, PASSAGE_OTHER)])]
    assert metrics.marker_counts("A. [1] B. [3]", {1, 2}) == (1, 2)
    assert metrics.markers_resolvable(cases) == 0.5


def test_markers_resolvable_undefined_without_markers():
    assert metrics.markers_resolvable([case(text="Keine Angabe in den Quellen.")]) is None


def test_sentences_verified_excludes_lead_and_abstentions():
    cases = [case(sentences=[metrics.LEAD, metrics.VERIFIED, metrics.VERIFIED, answer_types.UNSUPPORTED]),
             case(abstained=True, sentences=[answer_types.UNSUPPORTED])]
    assert metrics.sentences_verified(cases) == pytest.approx(2 / 3)


def test_sentences_verified_undefined_without_claims():
    assert metrics.sentences_verified([case(sentences=[metrics.LEAD])]) is None


def test_status_strings_match_the_answer_contract():
    assert (metrics.VERIFIED, metrics.LEAD) == (answer_types.VERIFIED, answer_types.LEAD)


def test_abstention_on_unanswerable_questions():
    cases = [case(answerable=False, evidence=(), abstained=True), case(answerable=False, evidence=(), abstained=False),
             case(abstained=True)]
    assert metrics.abstention(cases) == 0.5


def test_false_abstention_on_answerable_questions():
    cases = [case(abstained=True), case(abstained=False), case(abstained=False), case(answerable=False, abstained=True)]
    assert metrics.false_abstention(cases) == pytest.approx(1 / 3)


def test_abstention_shares_undefined_without_their_question_type():
    only_answerable = [case()]
    assert metrics.abstention(only_answerable) is None
    assert metrics.false_abstention([case(answerable=False)]) is None


# -- latency ---------------------------------------------------------------------------


def test_percentile_interpolates_like_numpy():
    values = [10.0, 20.0, 30.0, 40.0]
    assert metrics.percentile(values, 50) == 25.0
    assert metrics.percentile(values, 95) == pytest.approx(38.5)
    assert metrics.percentile(values, 0) == 10.0
    assert metrics.percentile(values, 100) == 40.0


def test_percentile_of_one_value_and_of_none():
    assert metrics.percentile([7.0], 95) == 7.0
    assert metrics.percentile([], 50) is None


def test_percentile_outside_range_is_refused():
    with pytest.raises(ValueError):
        metrics.percentile([1.0], 101)
