"""Sentence roles: marked from the documents' structure and wording (texts from the corpus)."""
from __future__ import annotations

import pytest

from index.chunk import Chunk
from index.roles import ASKER, DEFINITION, EXAMPLE, HISTORY, NORM, QUESTION, mark_roles, role_of, role_spans

# FW § 5 SGB II, Rz. 5.13 (Fachliche Weisungen, Stand 23.09.2024), shortened.
WEISUNG_WITH_EXAMPLE = (
    "(1) § 5 Absatz 3 Satz 1 SGB II befugt das JC sowohl Rechtsbehelfe als auch Rechtsmittel gegen Entscheidungen "
    "des vorrangig verpflichteten Leistungsträgers einzulegen.\n\n"
    "Dabei ist es nicht erforderlich, dass die Antragstellung durch das JC erfolgte.\n\n"
    "Beispiel: Beim Rententräger ist der Versicherungsverlauf offensichtlich nicht vollständig gespeichert. Es ist "
    "zu vermuten, dass dennoch ein Anspruch auf Altersrente besteht. Es ist daher ein Rechtsbehelf gegen den "
    "Versagungsbescheid einzulegen.")


def _chunk(text: str, kind: str = "ba", locator: dict | None = None, extra: dict | None = None) -> Chunk:
    return Chunk(doc_id="d", kind=kind, doc_type="", title="", label="FW § 5 SGB II, Rz. 5.13", text=text,
                 locator=locator or {"weisung": "§ 5 SGB II", "rz": "5.13"}, extra=extra or {})


def _roles(chunk: Chunk) -> list[tuple[str, str]]:
    return [(chunk.text[s:e], role) for s, e, role in mark_roles(chunk)]


def test_every_sentence_of_a_beispiel_block_is_an_example_and_the_rule_before_it_is_not():
    roles = _roles(_chunk(WEISUNG_WITH_EXAMPLE))
    assert roles[0][1] == NORM and roles[1][1] == NORM
    assert [role for _, role in roles[2:]] == [EXAMPLE, EXAMPLE, EXAMPLE]


def test_a_scenario_with_an_invented_person_or_date_is_an_example_but_a_cited_decision_is_not():
    roles = _roles(_chunk("Frau A beantragt am 08.07.2023 erneut Bürgergeld. Die Entscheidung des BSG vom "
                          "04.08.1981 ist zu beachten."))
    assert [role for _, role in roles] == [EXAMPLE, NORM]


def test_a_worked_case_goes_on_into_its_calculation():
    # FW § 12 SGB II, Rz. 12.32 (shortened): the case, then its table in a paragraph of its own,
    # then the rule again.
    chunk = _chunk("Beispiel: Drei-Personen-Bedarfsgemeinschaft, bestehend aus Mutter, Vater und Kind. Die Mutter "
                   "besitzt ein Vermögen in Höhe von 17.500,00 EUR.\n\n"
                   "Mutter Vermögen: 17.500,00 EUR Freibetrag: 15.000,00 EUR übersteigendes Vermögen: 2.500,00 EUR\n\n"
                   "(2) Es ist zu beachten, dass es sich hierbei um zu berücksichtigendes Vermögen handeln muss.")
    assert [role for _, role in _roles(chunk)] == [EXAMPLE, EXAMPLE, EXAMPLE, NORM]


def test_a_scenario_announcing_its_terms_goes_on_into_them_but_a_list_of_typical_cases_is_no_example():
    announced = _chunk("Beispiel: Der Sachverhalt:\n\nDie Arbeitsvertragsparteien vereinbaren ein Arbeitsentgelt "
                       "in Höhe des gesetzlichen Mindestlohns.\n\nDer Zuschuss ist neu zu berechnen.")
    typical = _chunk("Beispiele:\n\n• bei Venenerkrankungen: Tätigkeiten, die langes Stehen erfordern,")
    assert [role for _, role in _roles(announced)] == [EXAMPLE, EXAMPLE, NORM]
    assert [role for _, role in _roles(typical)] == [EXAMPLE, NORM]


def test_the_change_history_of_a_weisung_is_history():
    chunk = _chunk("Fassung vom 01.01.2025\n\n• Rz. 5.4b: Anpassung aufgrund der Artikel 4 und 5 des "
                   "Haushaltsfinanzierungsgesetzes 2024.", locator={"weisung": "§ 5 SGB II", "part": "Änderungshistorie"})
    assert {role for _, role in _roles(chunk)} == {HISTORY}


def test_a_transitional_paragraph_of_a_law_is_history_and_a_legal_definition_is_a_definition():
    transitional = _chunk("(1) § 21 Absatz 4 Satz 1 ist weiter anzuwenden.", kind="law",
                          locator={"law": "SGB II", "paragraph": "81", "absatz": "1"},
                          extra={"paragraph_title": "Übergangsregelung aus Anlass des Haushaltsfinanzierungsgesetzes 2024"})
    definition = _chunk("(1) Arbeitslos ist, wer Arbeitnehmerin oder Arbeitnehmer ist und nicht in einem "
                        "Beschäftigungsverhältnis steht.", kind="law",
                        locator={"law": "SGB III", "paragraph": "138", "absatz": "1"})
    assert _roles(transitional)[0][1] == HISTORY
    assert _roles(definition)[0][1] == DEFINITION


def test_a_paragraph_in_the_transitional_part_of_the_law_outline_is_history():
    # § 439 SGB III is titled by the amending act alone; its place in the law's outline says
    # what it is. "Übergang von der Schule in den Beruf" is a topic, not a transitional rule.
    text = ("Ist ein Anspruch auf Arbeitslosengeld mit einer dem Lebensalter der oder des Arbeitslosen "
            "entsprechenden Höchstanspruchsdauer noch nicht erschöpft, erhöht sich die Anspruchsdauer.")
    transitional = _chunk(text, kind="law", locator={"law": "SGB III", "paragraph": "439"}, extra={
        "paragraph_title": "Siebtes Gesetz zur Änderung des Dritten Buches Sozialgesetzbuch und anderer Gesetze",
        "gliederung": "Dreizehntes Kapitel – Sonderregelungen / Fünfter Abschnitt – Übergangsregelungen auf Grund "
                      "von Änderungsgesetzen"})
    topic = _chunk("Die Agentur für Arbeit kann Maßnahmen der Berufsorientierung fördern.", kind="law",
                   locator={"law": "SGB III", "paragraph": "48"}, extra={
                       "paragraph_title": "Berufsorientierungsmaßnahmen",
                       "gliederung": "Drittes Kapitel – Aktive Arbeitsförderung / Dritter Abschnitt – Berufswahl und "
                                     "Berufsausbildung / Erster Unterabschnitt – Übergang von der Schule in die "
                                     "Berufsausbildung"})
    assert _roles(transitional)[0][1] == HISTORY
    assert _roles(topic)[0][1] == NORM


def test_a_rule_for_a_group_in_the_transitional_part_is_a_rule_and_its_dated_sentences_history():
    # § 74 SGB II (Fassung 23.04.2026) stands in "Kapitel 11 – Übergangs- und Schlussvorschriften"
    # but its title names no act: Ukrainian refugees with a Fiktionsbescheinigung get Bürgergeld
    # under it today. Its sentences about past months stay history; so does every sentence of a §
    # there that is titled by an amending act.
    outline = {"gliederung": "Kapitel 11 – Übergangs- und Schlussvorschriften"}
    rule = ("Abweichend von § 7 Absatz 1 Satz 2 Nummer 1 und 2 erhalten Leistungen nach diesem Buch auch Personen, "
            "die eine Aufenthaltserlaubnis nach § 24 Absatz 1 des Aufenthaltsgesetzes beantragt haben.")
    dated = "In der Zeit vom 1. Juni 2022 bis einschließlich 31. August 2022 gilt der Antrag als gestellt."
    fiktion = _chunk(f"{rule} {dated}", kind="law", locator={"law": "SGB II", "paragraph": "74"}, extra={
        **outline, "paragraph_title": "Ansprüche von Ausländerinnen und Ausländern mit einer Fiktionsbescheinigung"})
    amending = _chunk(rule, kind="law", locator={"law": "SGB II", "paragraph": "65"}, extra={
        **outline, "paragraph_title": "Übergangsregelungen aus Anlass des Zwölften Gesetzes zur Änderung des Zweiten "
                                      "Buches Sozialgesetzbuch"})
    assert [role for _, role in _roles(fiktion)] == [NORM, HISTORY]
    assert [role for _, role in _roles(amending)] == [HISTORY]


def test_an_earlier_fassung_named_with_a_date_is_history():
    sentence = ("Ist ein Anspruch auf Arbeitslosengeld nach § 127 Abs. 2 in der bis zum 31. Dezember 2007 geltenden "
                "Fassung noch nicht erschöpft, erhöht sich die Anspruchsdauer.")
    assert _roles(_chunk(sentence, kind="law", locator={"law": "SGB III", "paragraph": "1"}))[0][1] == HISTORY


def test_a_landtag_question_is_a_question_and_the_government_answer_is_not():
    chunk = _chunk("3. Welche messbaren Zielgrößen wurden zu Beginn der Initiative definiert? (Bitte nach Jahren "
                   "ausweisen) Die Landesregierung hat keine eigenen Zielgrößen festgelegt.", kind="landtag",
                   locator={"anfrage": "5591", "frage": "3"})
    roles = _roles(chunk)
    assert roles[0][1] == QUESTION
    assert roles[-1] == ("Die Landesregierung hat keine eigenen Zielgrößen festgelegt.", NORM)


def test_the_questioners_vorbemerkung_states_their_claims_and_asks_questions():
    chunk = _chunk("Im Oktober 2023 startete die Bundesregierung den sogenannten Job-Turbo. Eine Studie kommt zu "
                   "dem Ergebnis, dass die Kosten gestiegen sind. Wie bewertet die Landesregierung das?",
                   kind="landtag", locator={"anfrage": "5591", "teil": "vorbemerkung"})
    assert [role for _, role in _roles(chunk)] == [ASKER, ASKER, QUESTION]


def test_roles_stored_at_ingest_are_used_and_marked_now_when_missing():
    chunk = _chunk(WEISUNG_WITH_EXAMPLE)
    stored = _chunk(WEISUNG_WITH_EXAMPLE, extra={"roles": [[0, len(WEISUNG_WITH_EXAMPLE), HISTORY]]})
    assert role_spans(chunk) == mark_roles(chunk)
    assert role_spans(stored) == [[0, len(WEISUNG_WITH_EXAMPLE), HISTORY]]
    start = WEISUNG_WITH_EXAMPLE.index("Beispiel:")
    assert role_of(role_spans(chunk), start, start + 20) == EXAMPLE


@pytest.mark.slow
def test_the_core_index_keeps_roles_in_the_chunk_store(core_index_settings):
    from index.store import ChunkStore  # noqa: F401 - the store the index uses
    from index.chunk_index import ChunkIndex

    index = ChunkIndex(core_index_settings, create=False)
    landtag = [c for c in index.store.get_chunks([cid for cid, meta in index.store.iter_metadata()
                                                  if meta["kind"] == "landtag"]).values()]
    assert landtag and all(c.extra.get("roles") for c in landtag)
    assert any(role == QUESTION for c in landtag for _, _, role in c.extra["roles"])


@pytest.mark.parametrize("kind,locator", [("landtag", {"anfrage": "5591", "teil": "antwort"}),
                                          ("other", {})])
def test_a_dated_fact_outside_the_weisungen_is_not_a_worked_case(kind, locator):
    # Unlabelled scenarios (invented persons, concrete dates) are how the Weisungen write worked
    # cases; a Landtag answer or any other document reports real events with dates.
    chunk = _chunk("Die Initiative wurde am 30. Juni 2025 gestartet. Im Juli 1963 bat auch die Mongolische "
                   "Volksrepublik vom 12. Juni an um Aufnahme.", kind=kind, locator=locator)
    assert {role for _, role in _roles(chunk)} == {NORM}
    labelled = _chunk("Beispiel: Die Initiative wurde am 30. Juni 2025 gestartet.", kind=kind, locator=locator)
    assert {role for _, role in _roles(labelled)} == {EXAMPLE}


def test_a_definition_that_opens_with_the_defined_term_is_a_definition():
    law = {"law": "SGB III", "paragraph": "18", "absatz": "1"}
    defined = _chunk("(1) Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind.", kind="law",
                     locator=law)
    rule = _chunk("(5) Die Geschäftsführerin ist Leiterin, der Geschäftsführer ist Leiter der Dienststelle.", kind="law",
                  locator=law)
    assert _roles(defined)[0][1] == DEFINITION
    assert _roles(rule)[0][1] == NORM


def test_a_definition_behind_an_absatz_number_is_a_definition():
    law = {"law": "SGB II", "paragraph": "7", "absatz": "3"}
    defined = _chunk("(3) Zur Bedarfsgemeinschaft gehören\n1. die erwerbsfähigen Leistungsberechtigten,\n"
                     "2. die im Haushalt lebenden Eltern.", kind="law", locator=law)
    counted = _chunk("(2) Als Einkommen gelten auch Einnahmen in Geldeswert.", kind="law", locator=law)
    assert _roles(defined)[0][1] == DEFINITION
    assert _roles(counted)[0][1] == DEFINITION
