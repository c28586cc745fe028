import pytest

from index.thesaurus import DEFAULT_PATHS, StoredThesaurus, Thesaurus

SAMPLE = """# OpenThesaurus - German Thesaurus in text format
werdende Mutter (sein);in Umständen;schwanger;gravid (fachspr.)
umsiedeln;umziehen;den Wohnsitz wechseln;zügeln (schweiz.)
Lohn;Arbeitsentgelt;Entgelt;Bezahlung
Kost;Nahrung;Verpflegung
"""


def test_annotations_are_removed_and_sets_are_symmetric():
    thesaurus = Thesaurus.from_text(SAMPLE)
    assert "werdende Mutter" in thesaurus.related("schwanger")
    assert "gravid" in thesaurus.related("schwanger")
    assert "schwanger" in thesaurus.related("gravid")


def test_word_itself_is_not_its_own_synonym():
    assert "umziehen" not in Thesaurus.from_text(SAMPLE).related("umziehen")


def test_lookup_goes_through_the_lemma():
    # "Löhne" is not in the file; its lemma "Lohn" is.
    assert "Arbeitsentgelt" in Thesaurus.from_text(SAMPLE).related("Löhne")


def test_a_nominalised_adjective_reaches_the_synonyms_of_its_adjective():
    # "die Schwangere", "den Schwangeren": the lemmatiser keeps the noun, the file lists "schwanger".
    thesaurus = Thesaurus.from_text(SAMPLE)
    assert "werdende Mutter" in thesaurus.related("Schwangere")
    assert "werdende Mutter" in thesaurus.related("Schwangeren")


def test_a_noun_is_not_read_as_an_adjective_the_file_lists_as_a_noun():
    # "Kosten" without its ending is "Kost", a noun in the file (capitalised): no food synonyms.
    assert Thesaurus.from_text(SAMPLE).related("Kosten") == set()


def test_comment_lines_and_oversized_sets_are_skipped():
    big = ";".join(f"wort{i}" for i in range(40))
    thesaurus = Thesaurus.from_text(SAMPLE + big + "\n")
    assert len(thesaurus) == 4
    assert thesaurus.related("wort1") == set()


def test_unknown_word_has_no_synonyms():
    assert Thesaurus.from_text(SAMPLE).related("Rundfunkbeitrag") == set()


def test_installed_openthesaurus_links_everyday_and_legal_words():
    thesaurus = Thesaurus.from_file(DEFAULT_PATHS[0])
    assert len(thesaurus) > 30000
    assert "Arbeitsentgelt" in thesaurus.related("Lohn")
    assert "den Wohnsitz wechseln" in thesaurus.related("umziehen")


def test_switched_off_the_installed_thesaurus_is_empty_and_comes_back_after():
    from index.thesaurus import default_thesaurus, switched_off

    with switched_off():
        assert len(default_thesaurus()) == 0 and default_thesaurus().related("umziehen") == set()
    assert "den Wohnsitz wechseln" in default_thesaurus().related("umziehen")


def test_stored_thesaurus_gives_what_the_file_gives(tmp_path):
    source = tmp_path / "openthesaurus.txt"
    source.write_text(SAMPLE + ";".join(f"wort{i}" for i in range(40)) + "\n", encoding="utf-8")
    stored = StoredThesaurus.for_file(source, tmp_path / "cache")
    in_memory = Thesaurus.from_file(source)
    assert len(stored) == len(in_memory) == 4
    for word in ("schwanger", "Schwangere", "Kosten", "gravid", "Löhne", "umziehen", "wort1", "Rundfunkbeitrag"):
        assert stored.related(word) == in_memory.related(word)


def test_stored_thesaurus_is_made_once_and_again_when_the_file_changes(tmp_path):
    source = tmp_path / "openthesaurus.txt"
    source.write_text(SAMPLE, encoding="utf-8")
    StoredThesaurus.for_file(source, tmp_path / "cache")
    source.write_text(SAMPLE + "Termin;Verabredung\n", encoding="utf-8")
    stored = StoredThesaurus.for_file(source, tmp_path / "cache")
    assert "Verabredung" in stored.related("Termin")
    assert len(list((tmp_path / "cache").glob("*.sqlite"))) == 2


def test_installed_openthesaurus_stored_copy_matches_the_file(tmp_path):
    stored = StoredThesaurus.for_file(DEFAULT_PATHS[0], tmp_path)
    in_memory = Thesaurus.from_file(DEFAULT_PATHS[0])
    assert len(stored) == len(in_memory)
    for members in in_memory.sets[::250]:
        for word in members:
            assert stored.related(word) == in_memory.related(word)


@pytest.mark.slow
def test_the_lemma_and_synonym_tables_go_to_the_configured_models_folder(tmp_path, small_index_settings,
                                                                          real_embedder):
    # FUNDSTELLE_MODELS_DIR (Settings.models_dir) decides where every model-derived table is
    # kept, not only the embedding model's export.
    from index import lemmas, thesaurus
    from index.chunk_index import ChunkIndex
    from retrieval.assistant import Assistant

    models = tmp_path / "models"
    settings = small_index_settings.model_copy(update={"models_dir": models})
    try:
        Assistant(settings, index=ChunkIndex(settings, embedder=real_embedder))
        assert "werdende Mutter" in thesaurus.default_thesaurus().related("schwanger")
        assert lemmas.lemma("Zuständigkeitsbereichen") == "Zuständigkeitsbereich"   # not looked up before
        assert list((models / "simplemma").glob("simplemma-*.sqlite"))
        assert list((models / "openthesaurus").glob("openthesaurus-*.sqlite"))
    finally:
        default = small_index_settings.models_dir
        lemmas.use_models_dir(default)
        thesaurus.use_models_dir(default)


def test_a_models_folder_that_cannot_hold_the_tables_degrades_with_a_warning(tmp_path, caplog):
    # FUNDSTELLE_MODELS_DIR naming a file: lemmas and synonyms still work, from memory, and the
    # log says which path could not be used.
    from fundstelle.settings import DEFAULT_MODELS_DIR
    from index import lemmas, thesaurus

    not_a_folder = tmp_path / "models"
    not_a_folder.write_text("a file, not a folder", encoding="utf-8")
    try:
        lemmas.use_models_dir(not_a_folder)
        thesaurus.use_models_dir(not_a_folder)
        lemmas.lemma.cache_clear()     # so the lookup below needs the dictionary
        with caplog.at_level("WARNING"):
            assert lemmas.lemma("Arbeitsvermittlerinnen") == "Arbeitsvermittlerin"
            assert "werdende Mutter" in thesaurus.default_thesaurus().related("schwanger")
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("simplemma" in w and str(not_a_folder) in w for w in warnings), warnings
        assert any("OpenThesaurus" in w and str(not_a_folder) in w for w in warnings), warnings
        assert not_a_folder.read_text(encoding="utf-8") == "a file, not a folder"
    finally:
        lemmas.use_models_dir(DEFAULT_MODELS_DIR)
        thesaurus.use_models_dir(DEFAULT_MODELS_DIR)
