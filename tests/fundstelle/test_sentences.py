from fundstelle.sentences import asking_sentences, split_sentences, table_rows


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


def test_a_new_line_ends_a_sentence_even_before_a_paragraph_sign():
    # Law text from gii has one Satz per line; the second Satz is quoted on its own.
    text = ("Die Agentur für Arbeit ist berechtigt, die Bescheinigung vorzulegen.\n"
            "§ 31 Absatz 1 findet keine Anwendung. Sie kann verlangen, dass …")
    assert sentences(text)[:2] == ["Die Agentur für Arbeit ist berechtigt, die Bescheinigung vorzulegen.",
                                   "§ 31 Absatz 1 findet keine Anwendung."]


def test_an_absatz_number_starts_a_new_sentence():
    text = ("(4) Die Leistungen sind Ermessensleistungen.\n\n(5) Die Person hat keinen Rechtsanspruch auf einen "
            "Gutschein (abweichend zu § 45 Absatz 7 SGB III). Satz eins gilt. (6) Satz zwei gilt.")
    assert sentences(text) == ["(4) Die Leistungen sind Ermessensleistungen.",
                               "(5) Die Person hat keinen Rechtsanspruch auf einen Gutschein (abweichend zu § 45 "
                               "Absatz 7 SGB III).", "Satz eins gilt.", "(6) Satz zwei gilt."]


def test_a_reference_or_aside_after_a_dot_on_the_same_line_stays_in_the_sentence():
    assert sentences("Das gilt entsprechend. (vgl. Rz. 7.3) Danach gilt mehr.")[0] == \
        "Das gilt entsprechend. (vgl. Rz. 7.3) Danach gilt mehr."
    assert sentences("Das regelt Satz 2. § 7 bleibt unberührt.") == ["Das regelt Satz 2. § 7 bleibt unberührt."]


def test_a_blank_line_ends_a_table_line_without_a_full_stop():
    text = ("Versicherungspauschale 30,00 Euro Berücksichtigungsbetrag 20,00 Euro\n\n"
            "Beziehen beide Elternteile zeitgleich Elterngeld, errechnet sich der Freibetrag anders.")
    assert sentences(text) == ["Versicherungspauschale 30,00 Euro Berücksichtigungsbetrag 20,00 Euro",
                               "Beziehen beide Elternteile zeitgleich Elterngeld, errechnet sich der Freibetrag "
                               "anders."]


def test_an_enumeration_across_blank_lines_stays_one_sentence():
    text = "Ausgenommen sind Ausländerinnen und Ausländer,\n\na. die keine Arbeitnehmer sind,\n\nb. deren Aufenthaltsrecht sich allein aus dem Zweck der Arbeitsuche ergibt."
    assert len(sentences(text)) == 1


def test_the_absatz_number_that_opens_a_sentence_is_left_out_for_patterns():
    from fundstelle.sentences import without_absatz_number

    assert without_absatz_number("(3) Zur Bedarfsgemeinschaft gehören") == "Zur Bedarfsgemeinschaft gehören"
    assert without_absatz_number("Nach Absatz (3) gilt") == "Nach Absatz (3) gilt"


# Tables as the law loader writes them from gii XML (§ 147 Abs. 2 SGB III, § 2 RBSFV 2026, § 345a SGB III).
ANSPRUCHSDAUER = ("(2) Die Dauer des Anspruchs auf Arbeitslosengeld beträgt\n"
                  "nach Versicherungspflichtverhältnissen mit einer Dauer von insgesamt mindestens … Monaten | "
                  "und nach Vollendung des … Lebensjahres | … Monate\n12 | | 6\n48 | 58. | 24")
REGELBEDARF = ("Regelbedarfsstufen nach § 28 in Euro\ngültig ab | Regelbedarfsstufe 1 | Regelbedarfsstufe 2\n"
               "1. Januar 2026 | 563 | 506")
GESAMTBEITRAG = "Der Gesamtbeitrag beträgt\n1. | für das Jahr 2003 | 5 Millionen Euro,\n2. | für das Jahr 2004 | 18 Millionen Euro,"


def test_a_table_row_is_read_with_its_introduction_and_header():
    rows = table_rows(ANSPRUCHSDAUER, 0, len(ANSPRUCHSDAUER))
    assert [ANSPRUCHSDAUER[s:e] for s, e, _ in rows] == ["12 | | 6", "48 | 58. | 24"]
    assert rows[1][2] == ("Die Dauer des Anspruchs auf Arbeitslosengeld beträgt nach Versicherungspflichtverhältnissen "
                          "mit einer Dauer von insgesamt mindestens 48 Monaten und nach Vollendung des 58. Lebensjahres "
                          "– 24 Monate")
    # An empty cell leaves its clause out.
    assert rows[0][2].endswith("mindestens 12 Monaten – 6 Monate") and "Lebensjahres" not in rows[0][2]


def test_header_cells_without_a_gap_label_the_values():
    (row,) = table_rows(REGELBEDARF, 0, len(REGELBEDARF))
    assert row[2] == ("Regelbedarfsstufen nach § 28 in Euro – gültig ab: 1. Januar 2026; Regelbedarfsstufe 1: 563; "
                      "Regelbedarfsstufe 2: 506")


def test_a_table_without_header_reads_its_cells_after_the_introduction():
    rows = table_rows(GESAMTBEITRAG, 0, len(GESAMTBEITRAG))
    assert [r[2] for r in rows] == ["Der Gesamtbeitrag beträgt für das Jahr 2003 5 Millionen Euro",
                                    "Der Gesamtbeitrag beträgt für das Jahr 2004 18 Millionen Euro"]
    assert table_rows("Ein Satz ohne Tabelle.", 0, 22) == []


def test_a_table_ends_the_sentence_that_introduces_it():
    text = ("(3) Bei Erfüllung beträgt die Dauer\nnach mindestens … Monaten | … Monate\n6 | 3\n10 | 5\n"
            "Abweichend von Absatz 1 sind nur die Verhältnisse zu berücksichtigen. Zweiter Satz.")
    assert sentences(text) == ["(3) Bei Erfüllung beträgt die Dauer\nnach mindestens … Monaten | … Monate\n6 | 3\n10 | 5",
                               "Abweichend von Absatz 1 sind nur die Verhältnisse zu berücksichtigen.", "Zweiter Satz."]


def test_a_ragged_table_loses_no_cell():
    text = "Die Beträge:\nStufe | Betrag\n1 | 563\n2 | 506 | ab 2026"
    readings = [r[2] for r in table_rows(text, 0, len(text))]
    assert readings == ["Die Beträge – Stufe: 1; Betrag: 563", "Die Beträge – Stufe: 2; Betrag: 506; ab 2026"]
    # Without a header row of its own width the cells are read as they stand.
    ragged = "Die Beträge:\nStufe | Betrag\n1 | 563 | ab 2026"
    assert [r[2] for r in table_rows(ragged, 0, len(ragged))] == ["Die Beträge Stufe Betrag", "Die Beträge 1 563 ab 2026"]


def test_the_asking_part_of_a_question_leaves_out_the_situation_it_describes():
    question = ("Ich komme aus Rumänien und bin vor einem Monat nach Deutschland gezogen. "
                "Arbeit habe ich noch keine. Bekomme ich Bürgergeld?")
    assert asking_sentences(question) == "Bekomme ich Bürgergeld?"


def test_a_question_whose_sentences_all_ask_or_none_asks_is_read_whole():
    assert asking_sentences("Wie hoch ist die Hundesteuer? Wo zahle ich sie?") == "Wie hoch ist die Hundesteuer? Wo zahle ich sie?"
    assert asking_sentences("Bedarfsgemeinschaft") == "Bedarfsgemeinschaft"
    assert asking_sentences("Ich suche die Regeln zur Sperrzeit. Bitte nennen.") == "Ich suche die Regeln zur Sperrzeit. Bitte nennen."


def test_an_abbreviation_does_not_cut_the_asking_sentence():
    assert (asking_sentences("Ich habe Schulden bei der Miete. Zahlt das Jobcenter z. B. nach § 22 Abs. 8 SGB II?")
            == "Zahlt das Jobcenter z. B. nach § 22 Abs. 8 SGB II?")
