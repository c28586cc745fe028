"""German citation forms, Stand lines and links to the original."""
from __future__ import annotations

from dataclasses import replace

from app_support.citations import (display_title, format_citation, from_citation, from_passage, german_date,
                                   link_text, original_url, stand_text)
from tests.app.answers import fw_passage, initiative_answer, ka_passage, sgb3_passage


def test_law_citation_has_paragraph_label_stand_date_and_last_change():
    assert format_citation(from_passage(sgb3_passage())) == (
        "§ 18 Abs. 1 SGB III (Stand: 22.04.2026; zuletzt geändert durch Art. 2 G v. 16.4.2026 I Nr. 107)")


def test_landtag_citation_keeps_question_number_and_answer_date():
    assert format_citation(from_passage(ka_passage())) == (
        "Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025)")


def test_landtag_citation_with_drucksache_and_page_in_label_gets_no_second_page():
    ref = replace(from_passage(ka_passage()), label="Antwort auf Kleine Anfrage 5591, zu Frage 3, Drs. 18/14567, S. 2",
                  page=2)
    assert format_citation(ref) == "Antwort auf Kleine Anfrage 5591, zu Frage 3, Drs. 18/14567, S. 2 (Antwort vom 30.06.2025)"


def test_weisung_citation_names_the_agency_rz_page_and_stand():
    assert format_citation(from_passage(fw_passage())) == (
        "Bundesagentur für Arbeit, Fachliche Weisungen § 16 SGB II, Rz. 16.1, S. 4 (Stand 26.03.2025)")


def test_other_document_citation_starts_with_its_title():
    ref = replace(from_passage(ka_passage()), kind="other", label="Merkblatt, Abschnitt 2", title="Merkblatt Bürgergeld",
                  stand="", stand_date="")
    assert format_citation(ref) == "Merkblatt Bürgergeld, Merkblatt, Abschnitt 2"


def test_citation_takes_stand_date_from_its_passage():
    answer = initiative_answer()
    assert from_citation(answer.citations[1], answer).stand_date == "2026-04-22"


def test_stand_with_iso_date_only_is_written_german():
    ref = replace(from_passage(ka_passage()), stand="2025-03-26", stand_date="2025-03-26")
    assert stand_text(ref) == "Stand: 26.03.2025"


def test_german_date_leaves_non_dates_alone():
    assert german_date("2025-06-30") == "30.06.2025"
    assert german_date("Juni 2025") == "Juni 2025"


def test_pdf_original_opens_at_the_page():
    assert original_url(from_passage(fw_passage())) == "https://www.arbeitsagentur.de/datei/fw-sgb-ii-16_ba015856.pdf#page=4"


def test_law_original_is_the_paragraph_page():
    assert original_url(from_passage(sgb3_passage())) == "https://www.gesetze-im-internet.de/sgb_3/__18.html"


def test_javascript_or_relative_urls_give_no_original_link():
    for url in ("javascript:alert(1)", "data:text/html,<script>", "/etc/passwd", "", "https:///nohost"):
        assert original_url(replace(from_passage(ka_passage()), url=url)) == "", url


def test_stand_says_stand_once_when_the_text_starts_with_another_word():
    ref = replace(from_passage(sgb3_passage()), stand="Ausfertigung 13.05.2011", stand_date="2025-12-31")
    assert stand_text(ref) == "Stand: 31.12.2025; Ausfertigung 13.05.2011"


def test_stand_says_stand_once_when_the_text_has_its_own():
    ref = replace(from_passage(fw_passage()), stand="Stand: Januar 2025", stand_date="2025-01-15")
    assert stand_text(ref) == "Stand: 15.01.2025; Januar 2025"
    assert stand_text(ref).count("Stand") == 1


def test_stand_prefix_follows_the_interface_language():
    ref = replace(from_passage(sgb3_passage()), stand="Ausfertigung 13.05.2011", stand_date="2025-12-31")
    assert stand_text(ref, "en") == "As of: 31.12.2025; Ausfertigung 13.05.2011"


def test_card_label_uses_the_short_law_name_and_the_citation_keeps_the_official_one():
    ref = replace(from_passage(sgb3_passage()), label="§ 3 Abs. 1 SGB2§48aFKV", stand="", stand_date="")
    assert ref.short_label == "§ 3 Abs. 1 Kennzahlen-VO"
    assert format_citation(ref) == "§ 3 Abs. 1 Kennzahlen-VO (SGB2§48aFKV)"


def test_well_known_abbreviations_stay_as_they_are():
    assert from_passage(sgb3_passage()).short_label == "§ 18 Abs. 1 SGB III"


def test_questioners_vorbemerkung_is_not_titled_as_the_answer():
    title = "Arbeitsmarkt-Integration (Antwort der Landesregierung auf die Kleine Anfrage 5591)"
    vorbemerkung = replace(from_passage(ka_passage()), label="Kleine Anfrage 5591, Vorbemerkung", title=title)
    assert display_title(vorbemerkung) == "Arbeitsmarkt-Integration"
    assert display_title(replace(vorbemerkung, label="Antwort auf Kleine Anfrage 5591, zu Frage 3")) == title


def test_reference_graph_links_read_in_the_ui_language():
    link = "Erläutert in FW § 22 SGB II, Rz. 22.41"
    assert link_text(link, "de") == link
    assert link_text(link, "en") == "Explained in FW § 22 SGB II, Rz. 22.41"
    assert link_text("Erläutert § 22 Abs. 1 SGB II", "en") == "Explains § 22 Abs. 1 SGB II"
    assert link_text("Verweist auf § 3 SGB2§48aFKV", "de") == "Verweist auf § 3 Kennzahlen-VO"
