"""The term and the phrase a definitional question asks about."""
from retrieval.asked_term import asked_phrase, asked_phrases, asked_term


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


def test_what_a_question_asks_about_ends_where_its_context_begins():
    assert asked_phrases("Was ist eine Sperrzeit bei Arbeitsaufgabe nach dem SGB III?")[1:] == [
        "Sperrzeit bei Arbeitsaufgabe"]
    assert asked_term("Was versteht man unter Einkommen im Sinne des SGB II?") == "Einkommen"
    assert asked_phrases("Was ist ein Kooperationsplan und wer macht ihn?")[1:] == ["Kooperationsplan"]


def test_a_term_qualified_by_an_attribute_is_not_asked_for_alone():
    # "der Träger der Grundsicherung" is not what § 21 SGB III calls "Träger"; "die Dauer des
    # Arbeitslosengeldes" is not § 104 SGB III, titled "Dauer" (of the Kurzarbeitergeld); "der
    # Mehrbedarf bei Schwangerschaft" is § 21 Abs. 2 SGB II, not Abs. 1 on "Mehrbedarfe".
    assert asked_phrases("Was ist der Mehrbedarf bei Schwangerschaft?") == ["Mehrbedarf bei Schwangerschaft"]
    assert asked_phrases("Was ist der Träger der Grundsicherung?") == ["Träger der Grundsicherung"]
    assert asked_term("Was ist der Träger der Grundsicherung?") == ""
    assert asked_phrases("Was ist die Dauer des Arbeitslosengeldes?") == ["Dauer des Arbeitslosengeldes"]


def test_a_term_typed_alone_is_asked_about_whole():
    assert asked_term("Bedarfsgemeinschaft") == "Bedarfsgemeinschaft"
    assert asked_phrases("die allgemeine Meldepflicht") == ["allgemeine Meldepflicht"]
    assert asked_phrases("Mehrbedarf Schwangerschaft") == ["Mehrbedarf Schwangerschaft"]
    assert asked_term("Bekomme ich Bürgergeld?") == "" and asked_phrases("Bekomme ich Bürgergeld?") == []
    assert asked_phrases("§ 22 SGB II") == []


def test_a_question_with_nothing_to_ask_about_asks_for_no_term():
    for question in ("", "???", "Was ist ?", "Was ist, wenn ich umziehe?", "   "):
        assert asked_term(question) == "" and asked_phrases(question) == []
