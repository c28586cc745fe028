"""The language guess for questions (``retrieval.language.detect_language``)."""
from __future__ import annotations

import pytest

from retrieval.language import detect_language


@pytest.mark.parametrize("question, language", [
    ("Ab wann gilt man als langzeitarbeitslos?", "de"),
    ("Wer hat Anspruch auf Bürgergeld?", "de"),
    ("When does someone count as long-term unemployed?", "en"),
    ("How much is the standard rate for a single adult?", "en"),
    ("Коли людина вважається довготривало безробітною?", "uk"),
    ("Когда человек считается долговременно безработным?", "ru"),
    # No letter only Ukrainian writes, but Ukrainian words: the answer must not lead in Russian.
    ("Чи отримаю я Bürgergeld, якщо маю заощадження?", "uk"),
    ("Получу ли я Bürgergeld, если у меня есть сбережения?", "ru"),
    ("متى يعتبر الشخص عاطلا عن العمل لفترة طويلة؟", "ar"),
    ("Uzun süreli işsiz olarak ne zaman sayılırım?", "tr"),
])
def test_language_of_a_question(question, language):
    assert detect_language(question) == language


def test_german_legal_terms_inside_an_english_question_keep_it_english():
    assert detect_language("What is the Bürgergeld and who can get it?") == "en"


def test_text_without_any_known_word_falls_back_to_german():
    assert detect_language("Bürgergeld") == "de"
    assert detect_language("12345 ???") == "de"
