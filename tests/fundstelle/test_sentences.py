from fundstelle.sentences import split_sentences


def sentences(text):
    return [text[s:e] for s, e in split_sentences(text)]


def test_abbreviations_do_not_end_sentences():
    text = "Leistungen nach § 7 Abs. 1 Satz 1 Nr. 2 erhalten z. B. Schüler i. V. m. § 3 SGB II. Danach gilt mehr."
    assert sentences(text) == ["Leistungen nach § 7 Abs. 1 Satz 1 Nr. 2 erhalten z. B. Schüler i. V. m. § 3 SGB II.",
                               "Danach gilt mehr."]


def test_dates_with_ordinal_dot_stay_in_one_sentence():
    assert len(sentences("Die Antwort kam am 30. Juni 2025 beim Landtag an. Sie ist kurz.")) == 2


def test_question_and_answer_are_separate_sentences():
    parts = sentences("3. Welche Ziele wurden definiert? Messbare Zielgrößen wurden nicht definiert.")
    assert parts[-1] == "Messbare Zielgrößen wurden nicht definiert."


def test_spans_point_into_the_text():
    text = "  Erster Satz hier.   Zweiter Satz dort!  "
    for start, end in split_sentences(text):
        assert text[start:end] in ("Erster Satz hier.", "Zweiter Satz dort!")
