"""The term and the phrase a definitional question asks about."""
from retrieval.asked_term import asked_phrase


def test_a_definitional_question_asks_for_the_words_from_its_term_on():
    # A name the law gives in parentheses may be longer than the one asked word.
    assert asked_phrase("Was ist eine Sperrzeit bei Arbeitsaufgabe?") == ["Sperrzeit", "bei", "Arbeitsaufgabe"]
    assert asked_phrase("Was ist die allgemeine Meldepflicht?") == ["allgemeine", "Meldepflicht"]
    assert asked_phrase("Was versteht man unter einem Kooperationsplan, und wer schreibt ihn?") == ["Kooperationsplan"]
    assert asked_phrase("Wie lange dauert eine Sperrzeit bei Arbeitsaufgabe?") == []
