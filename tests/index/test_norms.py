"""Legal definitions, norm profiles and unit context, on texts in the form the corpus has them."""
from index.chunk import Chunk
from index.norms import asked_name, build_profiles, defined_terms, named_terms, same_name, same_term


def law(paragraph: str, absatz: str, title: str, text: str) -> tuple[str, Chunk]:
    chunk = Chunk(doc_id="sgb2", kind="law", doc_type="Gesetz", title="Zweites Buch Sozialgesetzbuch",
                  label=f"§ {paragraph} Abs. {absatz} SGB II", text=text,
                  locator={"law": "SGB II", "paragraph": paragraph, "absatz": absatz},
                  extra={"paragraph_title": title})
    return chunk.id, chunk


def rz(paragraph: str, number: str, text: str, headings: list[str]) -> tuple[str, Chunk]:
    chunk = Chunk(doc_id=f"fw{paragraph}", kind="ba", doc_type="Fachliche Weisung", title=f"FW § {paragraph}",
                  label=f"FW § {paragraph} SGB II, Rz. {number}", text=text,
                  locator={"weisung": f"§ {paragraph} SGB II", "rz": number}, extra={"heading_path": headings})
    return chunk.id, chunk


def test_definition_forms_of_german_law():
    assert defined_terms("(1) Hilfebedürftig ist, wer seinen Lebensunterhalt nicht … sichern kann.") == ["Hilfebedürftig"]
    assert defined_terms("(3) Zur Bedarfsgemeinschaft gehören 1. die erwerbsfähigen …") == ["Bedarfsgemeinschaft"]
    assert defined_terms("Langzeitarbeitslose sind Arbeitslose, die ein Jahr und länger arbeitslos sind.") == [
        "Langzeitarbeitslose"]
    assert defined_terms("Als Integration im Sinne dieser Kennzahl gilt, wenn …") == ["Integration"]


def test_plain_rules_define_nothing():
    assert defined_terms("Die Agentur für Arbeit erbringt Leistungen zur Eingliederung in Arbeit.") == []


def test_profile_gathers_title_definitions_and_weisung_headings():
    chunks = [law("7", "3", "Leistungsberechtigte", "(3) Zur Bedarfsgemeinschaft gehören 1. die erwerbsfähigen …"),
              rz("7", "7.40", "Zur Bedarfsgemeinschaft nach § 7 Absatz 3 gehören …",
                 ["Bedarfsgemeinschaft", "Partner in eheähnlicher Gemeinschaft"])]
    profiles, units = build_profiles(chunks)
    profile = profiles["§ 7 SGB II"]
    assert profile.title == "Leistungsberechtigte"
    assert profile.definitions == ["Bedarfsgemeinschaft"]
    assert "Partner in eheähnlicher Gemeinschaft" in profile.text()
    law_id, rz_id = chunks[0][0], chunks[1][0]
    assert units.norm[law_id] == units.norm[rz_id] == "§ 7 SGB II"
    # The Absatz the Rz. explains gets the Rz.'s headings as searchable context.
    assert "Partner in eheähnlicher Gemeinschaft" in units.context[law_id]
    assert profile.explained_by == [rz_id] and profile.units == [law_id]


def test_unreadable_norm_index_is_reported_as_missing_so_it_is_rebuilt(tmp_path, caplog):
    from index.norm_index import NormIndex

    folder = tmp_path / "fundstelle-norms"
    folder.mkdir()
    (folder / "norms.json").write_text("{not json", encoding="utf-8")
    assert NormIndex.load(folder) is None
    assert "unreadable" in caplog.text and str(folder) in caplog.text


def test_norm_index_survives_a_save_and_load(tmp_path):
    from index.german import tokenize_german
    from index.norm_index import NormIndex
    from index.references import unit_edges

    chunks = [law("7", "3", "Leistungsberechtigte", "(3) Zur Bedarfsgemeinschaft gehören 1. die erwerbsfähigen …"),
              rz("7", "7.40", "Zur Bedarfsgemeinschaft nach § 7 Absatz 3 gehören …", ["Bedarfsgemeinschaft"])]
    edges = [e for cid, c in chunks for e in unit_edges(cid, c.kind, c.locator, c.text)]
    built = NormIndex.build(chunks, edges, tokenize_german, "v1")
    built.save(tmp_path / "norms")
    loaded = NormIndex.load(tmp_path / "norms")
    assert loaded.version == "v1" and loaded.norm_keys == ["§ 7 SGB II"]
    assert loaded.explains(chunks[1][0]).absatz == "3"
    assert loaded.units_of("§ 7 SGB II", "3") == [chunks[0][0]]
    assert loaded.norm_scores(tokenize_german("Bedarfsgemeinschaft"))[0] > 0


def test_a_norm_index_of_an_older_format_is_rebuilt(tmp_path, rewrite_as_older_format):
    from index.german import tokenize_german
    from index.norm_index import NormIndex

    chunks = [law("7", "3", "Leistungsberechtigte", "(3) Zur Bedarfsgemeinschaft gehören 1. die erwerbsfähigen …")]
    NormIndex.build(chunks, [], tokenize_german, "v1").save(tmp_path / "norms")
    rewrite_as_older_format(tmp_path / "norms", "1", "levels")
    assert NormIndex.load(tmp_path / "norms") is None
    # Format 3 kept no names given in parentheses: its profiles would answer no such question.
    NormIndex.build(chunks, [], tokenize_german, "v1").save(tmp_path / "norms")
    rewrite_as_older_format(tmp_path / "norms", "3")
    assert NormIndex.load(tmp_path / "norms") is None


def test_a_name_given_in_parentheses_is_a_named_term():
    # § 159 Abs. 1 SGB III and § 309 Abs. 1 SGB III name the case they describe in parentheses.
    sperrzeit = ("Versicherungswidriges Verhalten liegt vor, wenn 1. die oder der Arbeitslose das "
                 "Beschäftigungsverhältnis gelöst … hat (Sperrzeit bei Arbeitsaufgabe), 2. die … gemeldete "
                 "Person … eine … Beschäftigung nicht angenommen … hat (Sperrzeit bei Arbeitsablehnung),")
    assert named_terms(sperrzeit) == ["Sperrzeit bei Arbeitsaufgabe", "Sperrzeit bei Arbeitsablehnung"]
    assert named_terms("… zu erscheinen, wenn die Agentur für Arbeit sie dazu auffordert (allgemeine "
                       "Meldepflicht).") == ["allgemeine Meldepflicht"]
    assert named_terms("die Bundesagentur für Arbeit (Bundesagentur)") == ["Bundesagentur"]


def test_references_abbreviations_and_remarks_in_parentheses_name_nothing():
    assert named_terms("Leistungen nach dem Zweiten Buch (SGB II) und nach Absatz 2 (§ 12 Absatz 2)") == []
    assert named_terms("Aufwendungen für Aktivitäten (zum Beispiel Musikunterricht) und für Kinder "
                       "(ohne Leistungen für Unterkunft und Heizung)") == []
    # A name in parentheses is no legal definition of the norm: the profile keeps them apart.
    assert defined_terms("… gemeinsam einen Plan zur Verbesserung der Teilhabe (Kooperationsplan) erstellen.") == []


def test_a_question_asks_for_a_name_word_for_word_inflection_aside():
    assert same_name("allgemeine Meldepflicht", "allgemeinen Meldepflicht")
    assert same_name("Kooperationsplan", "Kooperationsplans")
    assert not same_name("Sperrzeit bei Arbeitsaufgabe", "Sperrzeit")
    assert not same_name("Leistungsfortzahlung", "Leistung")
    named = ["Sperrzeit bei Arbeitsaufgabe", "Kooperationsplan"]
    assert asked_name(named, ["Sperrzeit bei Arbeitsaufgabe nach dem SGB III", "Sperrzeit bei Arbeitsaufgabe",
                              "Sperrzeit"]) == "Sperrzeit bei Arbeitsaufgabe"
    assert asked_name(named, ["Kooperationsplan und wer macht ihn", "Kooperationsplan"]) == "Kooperationsplan"
    assert asked_name(named, ["Sperrzeit"]) == ""


def test_the_profile_keeps_the_names_its_law_gives_in_parentheses():
    chunks = [law("15", "2", "Potenzialanalyse und Kooperationsplan",
                  "(2) Die Agentur für Arbeit soll … gemeinsam einen Plan zur Verbesserung der Teilhabe "
                  "(Kooperationsplan) erstellen.")]
    profiles, units = build_profiles(chunks)
    assert profiles["§ 15 SGB II"].named == ["Kooperationsplan"]
    assert "Kooperationsplan" not in profiles["§ 15 SGB II"].definitions


def test_a_defined_term_meets_its_inflected_forms_not_the_compounds_it_begins():
    assert same_term("Langzeitarbeitslose", "langzeitarbeitslos")
    assert same_term("Bedarfsgemeinschaft", "Bedarfsgemeinschaften")
    # § 16 SGB III defines "Arbeitslose"; "Was ist das Arbeitslosengeld?" does not ask for it.
    assert not same_term("Arbeitslose", "Arbeitslosengeld")
