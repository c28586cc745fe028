"""Interface texts: German by default, English complete, unknown languages fall back to German."""
from __future__ import annotations

from app_support.i18n import EXAMPLE_QUESTIONS, STRINGS, normalise_language, t


def test_english_has_every_german_text():
    assert set(STRINGS["en"]) == set(STRINGS["de"])


def test_unknown_language_falls_back_to_german():
    assert normalise_language("fr") == "de" and normalise_language("EN-gb") == "en" and normalise_language(None) == "de"


def test_values_are_filled_in():
    assert t("question_too_long", "de", n=2100, max=2000) == (
        "Die Frage ist zu lang (2100 Zeichen, höchstens 2000). Bitte kürzer fassen.")


def test_the_nrw_initiative_question_is_an_example():
    assert EXAMPLE_QUESTIONS[0] == "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"


def test_every_sentence_role_has_a_card_label_in_german_and_english():
    from index.roles import ROLES

    for lang in ("de", "en"):
        assert all(f"role_{role}" in STRINGS[lang] for role in ROLES), lang
