import pytest

from index.lemmas import is_word_of, lemma


def test_plural_and_case_forms_meet_their_lemma():
    assert lemma("Wohnungen") == "Wohnung"
    assert lemma("Kindern") == "Kind"
    assert lemma("Bedarfsgemeinschaften") == "Bedarfsgemeinschaft"


def test_participle_meets_its_verb():
    assert lemma("angerechnet") == "anrechnen"


def test_unknown_word_is_its_own_lemma():
    assert lemma("Xyzzyquux") == "Xyzzyquux"


def test_a_word_is_told_german_or_english_by_the_dictionaries():
    # What the unknown-term rule needs for a question in another language: its German terms.
    assert is_word_of("Rundfunkbeitrag", "de") and not is_word_of("Rundfunkbeitrag", "en")
    assert is_word_of("Netherlands", "en") and not is_word_of("Netherlands", "de")
    assert is_word_of("Germany", "de") and is_word_of("Germany", "en")
    assert not is_word_of("Xyzzyquux", "de") and not is_word_of("Rundfunkbeitrag", "no-such-language")


@pytest.mark.slow
def test_the_sqlite_copy_of_the_dictionary_gives_simplemmas_own_lemmas(tmp_path):
    """The answering process looks lemmas up in a SQLite copy of simplemma's dictionary
    instead of unpacking it; every form must get the lemma simplemma itself gives."""
    import simplemma
    from simplemma.strategies import DefaultStrategy

    from index.lemmas import SqliteDictionary, _SqliteDictionaryFactory, build_dictionary_cache

    path = build_dictionary_cache(tmp_path / "de.sqlite")
    assert len(SqliteDictionary(path)) > 1_000_000
    copy = simplemma.Lemmatizer(lemmatization_strategy=DefaultStrategy(dictionary_factory=_SqliteDictionaryFactory(SqliteDictionary(path))))
    words = ["Wohnungen", "angerechnet", "Meldeversäumnisse", "Bürgergeldes", "umgezogen", "Sommerferien",
             "Leistungsberechtigten", "jobbt", "Kindergeldes", "Eingliederungsvereinbarungen", "teurer", "verpasst",
             "Xyzzyquux", "SGB", "§", "Unterkunftskosten"]
    assert [copy.lemmatize(w, lang="de") for w in words] == [simplemma.lemmatize(w, lang="de") for w in words]
