"""The term and the phrase a definitional question asks about."""
from retrieval.asked_term import asked_phrase, asked_term


def test_a_definitional_question_asks_for_the_words_from_its_term_on():
    # A name the law gives in parentheses may be longer than the one asked word.
    assert asked_phrase("Was ist eine Sperrzeit bei Arbeitsaufgabe?") == ["Sperrzeit", "bei", "Arbeitsaufgabe"]
    assert asked_phrase("Was ist die allgemeine Meldepflicht?") == ["allgemeine", "Meldepflicht"]
    assert asked_phrase("Was versteht man unter einem Kooperationsplan, und wer schreibt ihn?") == ["Kooperationsplan"]
    assert asked_phrase("Wie lange dauert eine Sperrzeit bei Arbeitsaufgabe?") == []


def test_the_other_languages_ask_for_a_german_term_in_their_own_grammar():
    assert asked_term("What is the Einstiegsgeld?") == "Einstiegsgeld"
    assert asked_term("What does Bedarfsgemeinschaft mean?") == "Bedarfsgemeinschaft"
    assert asked_term("Що таке Kooperationsplan?") == "Kooperationsplan"
    assert asked_term("Bildungsgutschein nedir?") == "Bildungsgutschein"
    assert asked_term("ما هو Bildungsgutschein؟") == "Bildungsgutschein"
    assert asked_phrase("ما هو Bildungsgutschein؟") == ["Bildungsgutschein"]
    assert asked_term("How long do I get unemployment benefit?") == ""
