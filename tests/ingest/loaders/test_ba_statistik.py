"""BA statistics loader: glossary PDF entries and method page sections as citable units."""
from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from fundstelle.settings import Settings
from ingest.errors import NeedsOCRError
from ingest.loaders import ba_statistik, load_document
from ingest.loaders.base import SourceInfo
from tests.fixtures.bad_files import image_only_pdf, text_pdf
from tests.fixtures.make_ba_glossary_pdf import LANGZEIT_SENTENCE, make_ba_glossary_pdf

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
METHOD_HTML = FIXTURES / "ba_methodik.html"
GLOSSARY_URL = "https://statistik.arbeitsagentur.de/DE/Statischer-Content/Grundlagen/Definitionen/Glossare/Generische-Publikationen/Gesamtglossar.pdf"
METHOD_URL = "https://statistik.arbeitsagentur.de/DE/Navigation/Grundlagen/Methodik-Qualitaet/Methodische-Hinweise/Grundsicherung.html"


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    return Settings(data=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def glossary_pdf(tmp_path_factory) -> Path:
    return make_ba_glossary_pdf(tmp_path_factory.mktemp("ba") / "Gesamtglossar.pdf")


@pytest.fixture(scope="module")
def glossary(glossary_pdf, settings):
    return ba_statistik.load(SourceInfo("ba-glossar", glossary_pdf, url=GLOSSARY_URL), settings)


@pytest.fixture(scope="module")
def method_page(settings):
    return ba_statistik.load(SourceInfo("ba-methodik-gs", METHOD_HTML, url=METHOD_URL), settings)


def chunk_labelled(document, label):
    matches = [chunk for chunk in document.chunks if chunk.label == label]
    assert len(matches) == 1, [chunk.label for chunk in document.chunks]
    return matches[0]


# --- glossary PDF -------------------------------------------------------------------------


def test_glossary_entry_is_one_chunk_holding_its_definition(glossary):
    chunk = chunk_labelled(glossary, "BA-Statistik, Glossar: Langzeitarbeitslose")
    assert chunk.text.startswith(LANGZEIT_SENTENCE)
    assert chunk.text.endswith("danach beginnt die Dauer neu zu laufen.")
    assert chunk.locator == {"glossar": "Langzeitarbeitslose"}
    assert (chunk.kind, chunk.doc_type, chunk.title) == ("ba", "Glossar", "Glossar der Statistik der BA")
    assert (chunk.page_start, chunk.page_end) == (3, 3)
    assert chunk.url == GLOSSARY_URL + "#page=3"


def test_glossary_has_one_unit_per_entry_and_none_for_alphabet_letters_or_title_page(glossary):
    assert [chunk.label for chunk in glossary.chunks] == [
        "BA-Statistik, Glossar: Arbeitslose",
        "BA-Statistik, Glossar: Arbeitslosenquote",
        "BA-Statistik, Glossar: Arbeitsuchende",
        "BA-Statistik, Glossar: Erwerbsfähige Leistungsberechtigte",
        "BA-Statistik, Glossar: Langzeitarbeitslose",
        "BA-Statistik, Glossar: Unterbeschäftigung",
    ]


def test_entry_across_page_break_is_one_unit_without_page_furniture(glossary):
    chunk = chunk_labelled(glossary, "BA-Statistik, Glossar: Arbeitsuchende")
    assert (chunk.page_start, chunk.page_end) == (2, 3)
    assert chunk.url == GLOSSARY_URL + "#page=2"
    # "beschäf-" ends page 2, "tigt" starts page 3: joined without header or footer between.
    assert "Dies gilt auch, wenn sie bereits beschäftigt oder selbständig tätig sind" in chunk.text
    assert "Seite" not in chunk.text
    assert "Statistik der Bundesagentur" not in chunk.text
    assert "Glossar" not in chunk.text
    assert chunk.text.endswith("aber noch nicht zu den Arbeitslosen.")


def test_glossary_stand_comes_from_title_page(glossary):
    assert {(chunk.stand, chunk.stand_date) for chunk in glossary.chunks} == {("14.03.2025", "2025-03-14")}


def test_no_chunk_contains_running_header_footer_or_title_page_text(glossary):
    for chunk in glossary.chunks:
        for furniture in ("Statistik der Bundesagentur für Arbeit", "Seite ", "Grundlagen: Definitionen",
                          "Herausgeberin", "Stand:"):
            assert furniture not in chunk.text, (chunk.label, furniture)


def test_line_end_hyphenation_is_repaired_and_lines_are_joined(glossary):
    elb = chunk_labelled(glossary, "BA-Statistik, Glossar: Erwerbsfähige Leistungsberechtigte")
    assert "erwerbsfähig und hilfebedürftig sind" in elb.text
    assert "\n" not in elb.text
    under = chunk_labelled(glossary, "BA-Statistik, Glossar: Unterbeschäftigung")
    assert "einen arbeitsmarktbedingten Sonderstatus" in under.text


def test_paragraphs_of_a_definition_are_separated_by_a_blank_line(glossary):
    chunk = chunk_labelled(glossary, "BA-Statistik, Glossar: Arbeitslose")
    assert "zur Verfügung stehen.\n\nSie müssen sich persönlich arbeitslos gemeldet haben." in chunk.text


def test_inline_bold_cross_reference_stays_in_the_definition(glossary):
    chunk = chunk_labelled(glossary, "BA-Statistik, Glossar: Unterbeschäftigung")
    assert chunk.text.endswith("Siehe auch: Arbeitslose, Langzeitarbeitslose.")


def test_glossary_document_metadata(glossary, glossary_pdf):
    assert (glossary.doc_id, glossary.kind, glossary.doc_type, glossary.pages) == ("ba-glossar", "ba", "Glossar", 4)
    assert glossary.path == str(glossary_pdf)
    assert glossary.warnings == []


def test_catalogue_stand_overrides_the_document(glossary_pdf, settings):
    document = ba_statistik.load(SourceInfo("g", glossary_pdf, stand="01.04.2025"), settings)
    assert {(c.stand, c.stand_date) for c in document.chunks} == {("01.04.2025", "2025-04-01")}


def test_long_entry_is_split_into_parts_with_the_same_label(glossary_pdf, tmp_path):
    document = ba_statistik.load(SourceInfo("g", glossary_pdf), Settings(data=tmp_path, max_chunk_chars=200))
    parts = [chunk for chunk in document.chunks if chunk.label == "BA-Statistik, Glossar: Arbeitslose"]
    assert len(parts) > 1
    assert [chunk.part for chunk in parts] == list(range(1, len(parts) + 1))
    assert all(chunk.parts == len(parts) and len(chunk.text) <= 200 for chunk in parts)
    assert all(document.text[c.span[0]:c.span[1]] == c.text for c in parts)


def test_scanned_pdf_needs_ocr(tmp_path, settings):
    path = image_only_pdf(tmp_path / "glossar_scan.pdf")
    with pytest.raises(NeedsOCRError, match="needs OCR"):
        ba_statistik.load(SourceInfo("scan", path), settings)


def test_pdf_without_bold_entries_falls_back_to_page_units(tmp_path, settings):
    path = text_pdf(tmp_path / "glossar_notiz.pdf", ["Notiz zum Glossar: Die Definitionen werden 2025 überarbeitet."])
    document = ba_statistik.load(SourceInfo("notiz", path), settings)
    assert [chunk.label for chunk in document.chunks] == ["glossar_notiz, S. 1"]
    assert any("no glossary entries" in warning for warning in document.warnings)


# --- method report PDF ---------------------------------------------------------------------


def method_report_pdf(path: Path) -> Path:
    """Title page, contents page (mentioning the glossary appendix), numbered bold sections."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, "Methodenbericht Arbeitslosenstatistik", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, "Statistik der Bundesagentur für Arbeit", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, "Stand: März 2024", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Inhalt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in ("1 Grundlagen ........................ 3", "1.1 Zählkonzept ..................... 3",
                 "2 Revision .......................... 3", "Anhang: Glossar ..................... 4"):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for heading, text in (("1 Grundlagen", "Die Statistik zählt Arbeitslose nach den Regeln des SGB III."),
                          ("1.1 Zählkonzept", "Gezählt wird der Bestand am Zähltag zur Monatsmitte."),
                          ("2 Revision", "Zeitreihen werden bei einer Revision zurückgerechnet.")):
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_method_report_pdf_has_one_chunk_per_numbered_section(tmp_path, settings):
    document = ba_statistik.load(SourceInfo("mb", method_report_pdf(tmp_path / "methodenbericht.pdf")), settings)
    assert [c.label for c in document.chunks] == [
        "BA-Statistik, Methodenbericht Arbeitslosenstatistik, Abschnitt 1 Grundlagen",
        "BA-Statistik, Methodenbericht Arbeitslosenstatistik, Abschnitt 1.1 Zählkonzept",
        "BA-Statistik, Methodenbericht Arbeitslosenstatistik, Abschnitt 2 Revision",
    ]
    chunk = document.chunks[1]
    assert chunk.text == "Gezählt wird der Bestand am Zähltag zur Monatsmitte."
    assert (chunk.locator, chunk.page_start, chunk.doc_type) == ({"section": "1.1"}, 3, "Methodenbericht")
    assert (chunk.stand, chunk.stand_date) == ("März 2024", "2024-03-01")


# --- method description HTML ---------------------------------------------------------------


def test_method_page_has_one_chunk_per_numbered_section(method_page):
    assert [chunk.label for chunk in method_page.chunks] == [
        "BA-Statistik, Methodische Hinweise Grundsicherung",
        "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.1 Zählkonzept",
        "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.2 Wartezeit",
        "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 2 Revision",
    ]


def test_method_section_text_locator_and_anchor(method_page):
    chunk = chunk_labelled(method_page, "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.1 Zählkonzept")
    assert chunk.text.startswith("Gezählt werden Personen in Bedarfsgemeinschaften, die am Zähltag einen Anspruch "
                                 "auf Leistungen haben.")
    assert chunk.locator == {"section": "1.1"}
    assert chunk.url == METHOD_URL + "#zaehlkonzept"
    assert (chunk.kind, chunk.doc_type, chunk.page_start) == ("ba", "Methodenbericht", None)


def test_method_page_stand_and_title(method_page):
    assert method_page.title == "Methodische Hinweise Grundsicherung"
    assert {(c.stand, c.stand_date) for c in method_page.chunks} == {("14.03.2025", "2025-03-14")}


def test_inline_markup_keeps_its_place_in_the_sentence(method_page):
    zaehl = chunk_labelled(method_page, "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.1 Zählkonzept")
    assert "Eine Person wird je Stichtag genau einmal gezählt, auch wenn sie im Monat mehrere Bewilligungen hatte." in zaehl.text
    intro = chunk_labelled(method_page, "BA-Statistik, Methodische Hinweise Grundsicherung")
    assert "nach dem SGB II Personen und Bedarfsgemeinschaften zählt." in intro.text


def test_method_page_table_text_is_kept(method_page):
    chunk = chunk_labelled(method_page, "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.2 Wartezeit")
    assert "Datenstand | Wartezeit | Verwendung" in chunk.text
    assert "vorläufig | 0 Monate | Hochrechnung für den aktuellen Rand" in chunk.text
    assert "endgültig | 3 Monate | Strukturanalysen und Zeitreihen" in chunk.text


def test_method_page_drops_scripts_styles_navigation_and_footer(method_page):
    everything = method_page.text
    for boilerplate in ("dataLayer", "Skriptinhalt", "trackPage", "Stilregel", "Zum Inhalt springen",
                        "Statistiken nach Themen", "Suchbegriff", "Startseite", "Impressum", "Datenschutz", "<"):
        assert boilerplate not in everything, boilerplate


def test_method_page_list_items_are_lines(method_page):
    chunk = chunk_labelled(method_page, "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 2 Revision")
    assert chunk.text.endswith("möglich sind.\n\n- neue Zählung der Regelleistungsberechtigten\n"
                               "- Abgrenzung der sonstigen Leistungsberechtigten")


def test_html_glossary_page_has_entry_labels(tmp_path, settings):
    path = tmp_path / "glossar.html"
    path.write_text("""<html><head><title>Glossar - Statistik der Bundesagentur für Arbeit</title></head><body>
        <nav><a href="/">Startseite</a></nav>
        <main><h1>Glossar der Grundsicherungsstatistik</h1>
        <h2>B</h2>
        <h3 id="bg">Bedarfsgemeinschaft</h3>
        <p>Eine Bedarfsgemeinschaft besteht aus mindestens einer erwerbsfähigen leistungsberechtigten Person
           und den mit ihr im Haushalt lebenden Angehörigen.</p>
        <h3>Bestand</h3><p>Der Bestand ist die Zahl der Personen am Stichtag.</p>
        </main></body></html>""", encoding="utf-8")
    document = ba_statistik.load(SourceInfo("g-html", path, url="https://statistik.arbeitsagentur.de/g.html"), settings)
    assert [c.label for c in document.chunks] == ["BA-Statistik, Glossar: Bedarfsgemeinschaft",
                                                   "BA-Statistik, Glossar: Bestand"]
    assert document.chunks[0].locator == {"glossar": "Bedarfsgemeinschaft"}
    assert document.chunks[0].url == "https://statistik.arbeitsagentur.de/g.html#bg"
    assert document.doc_type == "Glossar"


def test_short_title_drops_the_site_name():
    assert ba_statistik.short_title("Methodische Hinweise Grundsicherung - Statistik der Bundesagentur für Arbeit") \
        == "Methodische Hinweise Grundsicherung"
    assert ba_statistik.short_title("Glossar der Statistik der BA") == "Glossar der Statistik der BA"


# --- both ------------------------------------------------------------------------------------


def test_span_invariant_holds_for_every_chunk(glossary, method_page):
    for document in (glossary, method_page):
        for chunk in document.chunks:
            assert document.text[chunk.span[0]:chunk.span[1]] == chunk.text


def test_load_document_dispatches_glossary_pdf_and_method_page_here(glossary_pdf, settings):
    pdf = load_document(SourceInfo("g", glossary_pdf), settings)
    html = load_document(SourceInfo("m", METHOD_HTML), settings)
    assert pdf.meta["loader"] == html.meta["loader"] == "ba_statistik"
    assert pdf.chunks[0].label == "BA-Statistik, Glossar: Arbeitslose"
    assert html.chunks[1].label == "BA-Statistik, Methodische Hinweise Grundsicherung, Abschnitt 1.1 Zählkonzept"


def test_markdown_file_is_handed_to_the_generic_loader(tmp_path, settings):
    path = tmp_path / "notizen.md"
    path.write_text("# Notizen zum Glossar\n\n## Arbeitslose\n\nSiehe § 16 SGB III.\n", encoding="utf-8")
    document = ba_statistik.load(SourceInfo("n", path), settings)
    assert document.meta["loader"] == "generic"
    assert [c.label for c in document.chunks] == ["Notizen zum Glossar, Arbeitslose"]
