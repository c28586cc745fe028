"""German text analysis of the index (``index.german``): tokens, folding, compound parts."""
from __future__ import annotations

from index.german import CompoundSplitter, fold, surface_words, tokenize_german


def test_umlauts_and_sharp_s_fold_to_base_letters():
    assert fold("maßnahme") == "massnahme" and fold("für") == "fur"


def test_tokens_are_stems_without_stop_words_or_question_words():
    assert tokenize_german("Ab wann gilt man als langzeitarbeitslos?") == tokenize_german("langzeitarbeitslos")


def test_inflected_forms_share_a_token():
    assert tokenize_german("Leistungen")[0] == tokenize_german("Leistung")[0]


def test_digits_and_paragraph_letters_are_kept():
    assert tokenize_german("§ 11b 2025") == ["11b", "2025"]


def test_surface_words_keep_stop_words_and_are_folded_not_stemmed():
    assert surface_words("Die Maßnahmen") == ["die", "massnahmen"]


SPLITTER = CompoundSplitter(["arbeitsmarkt", "integration", "leistung", "bezug", "geld", "arbeit", "markt"])


def test_compound_splits_into_two_corpus_words():
    assert SPLITTER.parts("arbeitsmarktintegration") == ["arbeitsmarkt", "integration"]


def test_linking_s_is_dropped_from_the_head():
    assert SPLITTER.parts("leistungsbezug") == ["leistung", "bezug"]


def test_the_head_must_be_a_corpus_word_as_a_whole():
    splitter = CompoundSplitter(["markt", "integration"])
    assert splitter.parts("arbeitsmarktintegration") == []


def test_word_whose_parts_are_not_corpus_words_is_not_split():
    assert SPLITTER.parts("rundfunkbeitrag") == []


def test_parts_shorter_than_four_letters_are_not_used():
    splitter = CompoundSplitter(["geld", "amt"])
    assert splitter.parts("geldamt") == []
    assert "amt" not in splitter.vocabulary


def test_short_words_are_never_split():
    assert SPLITTER.parts("geldbau") == []
