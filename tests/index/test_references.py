"""Reference parsing on citation forms as they stand in the corpus (laws and Weisungen)."""
from index.references import norm_key, parse_references, unit_edges, unit_norm, without_references


def labels(text: str, default_law: str = "SGB II") -> list[str]:
    return [ref.label for ref in parse_references(text, default_law)]


def test_absatz_satz_nummer():
    assert labels("nach § 11b Abs. 2 Satz 1 Nr. 3 abzusetzen") == ["§ 11b Abs. 2 Satz 1 Nr. 3 SGB II"]


def test_written_out_absatz_and_nummer():
    assert labels("§ 12 Absatz 1 Satz 2 Nummer 7 bedeuten würde") == ["§ 12 Abs. 1 Satz 2 Nr. 7 SGB II"]


def test_range_of_paragraphs_with_law():
    assert labels("nach den §§ 88 bis 92 SGB III gefördert") == [
        "§ 88 SGB III", "§ 89 SGB III", "§ 90 SGB III", "§ 91 SGB III", "§ 92 SGB III"]


def test_range_of_lettered_paragraphs():
    assert labels("§§ 11–11b") == ["§ 11 SGB II", "§ 11a SGB II", "§ 11b SGB II"]


def test_in_verbindung_mit():
    assert labels("§ 16 Absatz 1 i. V. m. § 44 SGB III", "SGB II") == ["§ 16 Abs. 1 SGB III", "§ 44 SGB III"]


def test_second_absatz_of_the_same_paragraph():
    assert labels("§ 12 Absatz 2 Satz 1 und Absatz 4 Satz 1 ist vorrangig") == [
        "§ 12 Abs. 2 Satz 1 SGB II", "§ 12 Abs. 4 Satz 1 SGB II"]


def test_book_named_by_its_ordinal():
    assert labels("die nach § 11b des Zweiten Buches Sozialgesetzbuch abzusetzenden Beträge", "SGB XII") == ["§ 11b SGB II"]
    assert labels("§§ 29 bis 33 des Dritten Buches von den") == [f"§ {n} SGB III" for n in range(29, 34)]


def test_other_laws_by_abbreviation_and_name():
    assert labels("§ 25 Absatz 3 Satz 1 AufenthG.") == ["§ 25 Abs. 3 Satz 1 AufenthG"]
    assert labels("§ 1603 Absatz 2 Satz 2 BGB ist") == ["§ 1603 Abs. 2 Satz 2 BGB"]
    assert labels("(§ 20 Abs. 2 SGB X) zu prüfen") == ["§ 20 Abs. 2 SGB X"]
    assert [r.law for r in parse_references("§ 45a Absatz 1 des Aufenthaltsgesetzes teilnehmen")] == ["Aufenthaltsgesetzes"]


def test_alternatives_with_bzw():
    assert labels("nach §§ 16e bzw. 16i SGB II gefördert") == ["§ 16e SGB II", "§ 16i SGB II"]


def test_single_sign_takes_one_number():
    assert labels("§ 7 und 8 Personen") == ["§ 7 SGB II"]


def test_a_list_of_absaetze_takes_the_law_after_it():
    # § 5 Abs. 5 SGB II and § 16i Abs. 3 SGB II: before, the law after "und 2" was lost and
    # the cited norms were taken for the citing law's own.
    assert labels("§ 22 Absatz 2 Satz 1 und 2 des Dritten Buches ist entsprechend anzuwenden") == [
        "§ 22 Abs. 2 Satz 1 SGB III"]
    assert labels("im Sinne des § 2 Absatz 2 und 3 des Neunten Buches ist.") == [
        "§ 2 Abs. 2 SGB IX", "§ 2 Abs. 3 SGB IX"]
    assert labels("§ 17 Absatz 1 und 2 AufenthG soll") == ["§ 17 Abs. 1 AufenthG", "§ 17 Abs. 2 AufenthG"]


def test_a_range_of_absaetze_and_the_next_paragraph():
    assert labels("(2) § 31a Absatz 2 bis 5 und § 31b Absatz 1 und 4 gelten entsprechend.") == [
        "§ 31a Abs. 2 SGB II", "§ 31a Abs. 3 SGB II", "§ 31a Abs. 4 SGB II", "§ 31a Abs. 5 SGB II",
        "§ 31b Abs. 1 SGB II", "§ 31b Abs. 4 SGB II"]
    assert labels("§§ 7 Absatz 5 und 6, 27 SGB II zu beachten") == [
        "§ 7 Abs. 5 SGB II", "§ 7 Abs. 6 SGB II", "§ 27 SGB II"]


def test_a_count_after_an_absatz_is_no_unit():
    assert labels("nach § 7 Abs. 3 und 8 Personen") == ["§ 7 Abs. 3 SGB II"]
    assert labels("nach § 7 Absatz 1 Satz 1 und 2 Monate") == ["§ 7 Abs. 1 Satz 1 SGB II"]


def test_nummer_without_its_full_stop():
    assert labels("§ 18c Absatz 1 Satz 1 Nr 1 AufenthG verkürzt") == ["§ 18c Abs. 1 Satz 1 Nr. 1 AufenthG"]


def test_text_without_references():
    assert parse_references("Die Agentur für Arbeit berät.") == []


def test_norm_of_law_absatz_and_weisung_rz():
    assert unit_norm("law", {"law": "SGB II", "paragraph": "22", "absatz": "1"}) == "§ 22 SGB II"
    assert unit_norm("ba", {"weisung": "§ 22 SGB II", "rz": "22.41"}) == norm_key("22", "SGB II")
    assert unit_norm("ba", {"weisung": "§§ 11–11b SGB II", "page": "3"}) == ""
    assert unit_norm("landtag", {"anfrage": "5591", "frage": "3"}) == ""


def test_weisung_rz_explains_the_absatz_it_cites_most():
    text = ("Nach § 22 Absatz 1 Satz 1 werden Bedarfe anerkannt. Die Angemessenheit (§ 22 Absatz 1) "
            "richtet sich nach … ; zu den Heizkosten siehe § 22 Absatz 3 und § 12 SGB II.")
    edges = unit_edges("fw#rz", "ba", {"weisung": "§ 22 SGB II", "rz": "22.4"}, text)
    explains = [e for e in edges if e.kind == "explains"]
    assert [(e.norm, e.absatz) for e in explains] == [("§ 22 SGB II", "1")]
    assert ("cites", "§ 12 SGB II") in {(e.kind, e.norm) for e in edges}


def test_law_absatz_cites_other_absatz_of_its_own_paragraph():
    edges = unit_edges("sgb2#22/3", "law", {"law": "SGB II", "paragraph": "22", "absatz": "3"},
                       "(3) Rückzahlungen … mindern die Aufwendungen nach § 22 Absatz 1 und § 9.")
    assert {(e.norm, e.absatz) for e in edges} == {("§ 22 SGB II", "1"), ("§ 9 SGB II", "")}


def test_a_hyphenated_law_name_is_the_cited_law_not_the_citing_one():
    # Forms from FW §§ 11–11b SGB II: the Bürgergeld-Verordnung by its abbreviation, by its name
    # with and without article, and in a range; all name the law its units carry ("Bürgergeld-V").
    forms = {
        "sofern sie nicht in den Pauschalbeträgen nach § 6 Absatz 1 Bürgergeld-V enthalten sind":
            [("6", "1")],
        "Nach § 5 Bürgergeld-Verordnung sind die Einkommensarten getrennt zu betrachten.": [("5", "")],
        "nach § 3 Absatz 7 der Bürgergeld-Verordnung": [("3", "7")],
        "Einkommen in sonstigen Fällen (§§ 2 bis 4 Bürgergeld-V).": [("2", ""), ("3", ""), ("4", "")],
    }
    for text, expected in forms.items():
        refs = parse_references(text, "SGB II")
        assert [(r.paragraph, r.absatz) for r in refs] == expected, text
        assert {r.law for r in refs} == {"Bürgergeld-V"}, text
    assert parse_references("nach § 8 des Arbeitnehmer-Entsendegesetzes", "SGB III")[0].law == \
        "Arbeitnehmer-Entsendegesetzes"
    # A hyphenated word that is no law leaves the citing text's own law.
    assert parse_references("nach § 3 Kosten-Nutzen-Rechnung", "SGB II")[0].law == "SGB II"
    edges = unit_edges("fw#rz", "ba", {"weisung": "§§ 11–11b SGB II", "rz": "11.152"},
                       "Höhere Ausgaben … nach § 6 Absatz 1 Bürgergeld-V …")
    assert {(e.norm, e.absatz) for e in edges if e.kind == "cites"} == {("§ 6 Bürgergeld-V", "1")}


def test_a_law_named_after_the_citation_in_its_other_forms_is_that_law():
    # Forms from the Weisungen and Verordnungen of the corpus that named no law before: the
    # citing text's own law was assumed, and "§ 22 Absatz 4 Sozialgesetzbuch Drittes Buch" in an
    # SGB II Weisung became § 22 Abs. 4 SGB II.
    forms = {
        "§ 22 Absatz 4 Sozialgesetzbuch Drittes Buch (SGB III) aufgehoben": "§ 22 Abs. 4 SGB III",
        "Regelbedarf nach § 20 Zweites Buch Sozialgesetzbuch (SGB II) abgedeckt": "§ 20 SGB II",
        "nach §§ 29 bis 33 des SGB III von den für die Arbeitsförderung": "§ 29 SGB III",
        "nach § 253 Absatz 2 des Bürgerlichen Gesetzbuchs geleistet": "§ 253 Abs. 2 BGB",
        "nach § 1612 Absatz 2 Satz 1 Bürgerliches Gesetzbuch (BGB)": "§ 1612 Abs. 2 Satz 1 BGB",
        "eine Aufenthaltserlaubnis nach § 25 Absatz 5 des AufenthG besitzt": "§ 25 Abs. 5 AufenthG",
        "(§ 12 Abs. 4 Viertes Buch) ausgeübt wird": "§ 12 Abs. 4 SGB IV",
    }
    for text, label in forms.items():
        assert parse_references(text, "SGB II")[0].label == label, text
    assert len(parse_references("nach §§ 29 bis 33 des SGB III", "SGB II")) == 5
    # "Zweites Gesetz über …" is no book of the Sozialgesetzbuch.
    assert parse_references("§ 2 Absatz 1 Nummer 1 Zweites Gesetz über die Krankenversicherung", "SGB II")[0].law \
        == "SGB II"


def test_the_eingangsformel_of_a_verordnung_names_the_norm_that_empowers_it():
    # The Eingangsformel of the Bürgergeld-V (gii XML): the § before "verordnet" is its basis;
    # the amending acts it names are no norms of the graph.
    text = ("Auf Grund des § 13 des Zweiten Buches Sozialgesetzbuch – Grundsicherung für Arbeitsuchende – "
            "(Artikel 1 des Gesetzes vom 24. Dezember 2003, BGBl. I S. 2954, 2955), der durch Artikel 1 Nr. 11 "
            "des Gesetzes vom 20. Juli 2006 (BGBl. I S. 1706) geändert worden ist, verordnet das "
            "Bundesministerium für Arbeit und Soziales:")
    edges = unit_edges("bgv#formula", "law", {"law": "Bürgergeld-V", "norm": "Eingangsformel"}, text)
    assert [(e.kind, e.norm, e.absatz) for e in edges] == [("empowered_by", "§ 13 SGB II", "")]
    # The same words in a § of a law are an ordinary citation.
    cited = unit_edges("x", "law", {"law": "SGB II", "paragraph": "1", "absatz": "1"},
                       "Auf Grund des § 13 wird … verordnet.")
    assert [(e.kind, e.norm) for e in cited] == [("cites", "§ 13 SGB II")]


def test_without_references_keeps_what_the_text_says_besides_its_citations():
    assert without_references("§§ 2 bis 4 Bürgergeld-V und § 7 Abs. 3 SGB II gelten.").split() == ["und", "gelten."]
    assert without_references("Keine Vorschrift wird genannt.") == "Keine Vorschrift wird genannt."
