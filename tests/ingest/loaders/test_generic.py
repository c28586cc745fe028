"""Generic loader: PDF pages, Markdown/HTML/text heading sections, encodings and bad files."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from fpdf import FPDF

from fundstelle.settings import Settings
from ingest.errors import IngestError, NeedsOCRError
from ingest.loaders import generic, load_document
from ingest.loaders.base import SourceInfo
from tests.fixtures.bad_files import corrupt_pdf, encrypted_pdf, image_only_pdf, text_pdf

PDF_URL = "https://www.example.org/merkblatt.pdf"

MARKDOWN = """---
autor: Test
---
# Merkblatt Weiterbildung

Kurzer Überblick über die Förderung.

## 1 Voraussetzungen

Gefördert wird, wer die Weiterbildung braucht.
Der Satz läuft über zwei Zeilen.

### 1.1 Beratung

Vorher ist eine Beratung nötig, siehe [Beratungsangebot](https://www.example.org/beratung).

<div class="kasten">Hinweis im Kasten</div>
<script>alert("Skriptinhalt");</script>
&lt;script&gt;alert("maskiert")&lt;/script&gt;
<!-- interner Kommentar -->

## 2 Kosten

Übernommen werden:

- Lehrgangskosten
- Fahrkosten
"""

HTML = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Umzug | Beispielportal</title>
<script>var tracking = "Besucherzaehlung";</script><style>p { color: red; }</style></head>
<body>
<header><a href="/">Beispielportal Startseite</a></header>
<nav><ul><li><a href="/a">Menüpunkt Alles zum Amt</a></li></ul></nav>
<main>
  <h1>Hinweise zum Umzug</h1>
  <h2 id="meldung">Meldung</h2>
  <p>Wer umzieht, meldet die neue Anschrift <em>innerhalb von zwei Wochen</em>.</p>
  <h2>Kosten</h2>
  <p>Umzugskosten werden nur nach vorheriger Zusicherung übernommen.</p>
</main>
<footer>Kontakt und Impressum</footer>
</body></html>
"""

PDF_PAGES = [
    "1 Antrag\nDer Antrag auf Förderung wird vor Beginn der Maßnahme gestellt. Ohne vorherigen Antrag ist "
    "eine Förderung ausgeschlossen, auch wenn alle übrigen Voraussetzungen erfüllt sind.",
    "2 Bearbeitung\nDie Bearbeitung dauert in der Regel vier Wochen. Fehlende Unterlagen werden schriftlich "
    "nachgefordert.",
    "3 Auszahlung\nDie Leistung wird monatlich im Voraus auf das angegebene Konto überwiesen.",
]


def merkblatt_pdf(path: Path, *, title: str | None = "Merkblatt Testverfahren", pages: list[str] = PDF_PAGES) -> Path:
    """A 3-page PDF with a running header, a "Seite n von 3" footer and a metadata title."""

    class Merkblatt(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, "Merkblatt Testverfahren - Hinweise für Antragstellende", new_x="LMARGIN", new_y="NEXT")
            self.ln(5)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, f"Seite {self.page_no()} von {{nb}}", align="R")

    pdf = Merkblatt()
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data=tmp_path / "data")


def load(path: Path, settings: Settings, **info) -> object:
    return generic.load(SourceInfo(info.pop("doc_id", path.stem), path, **info), settings)


def labels(document) -> list[str]:
    return [chunk.label for chunk in document.chunks]


def assert_spans(document) -> None:
    for chunk in document.chunks:
        assert document.text[chunk.span[0]:chunk.span[1]] == chunk.text, chunk.label


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_has_one_unit_per_page_labelled_with_the_page(tmp_path, settings):
    document = load(merkblatt_pdf(tmp_path / "merkblatt.pdf"), settings, url=PDF_URL)
    assert labels(document) == ["Merkblatt Testverfahren, S. 1", "Merkblatt Testverfahren, S. 2",
                                "Merkblatt Testverfahren, S. 3"]
    page_two = document.chunks[1]
    assert page_two.url == PDF_URL + "#page=2"
    assert (page_two.page_start, page_two.page_end, page_two.locator) == (2, 2, {"page": "2"})
    assert "Die Bearbeitung dauert in der Regel vier Wochen." in page_two.text
    assert (page_two.kind, page_two.doc_type, document.pages) == ("other", "Dokument", 3)


def test_pdf_running_header_and_page_footer_are_removed(tmp_path, settings):
    document = load(merkblatt_pdf(tmp_path / "merkblatt.pdf"), settings)
    for chunk in document.chunks:
        assert "Hinweise für Antragstellende" not in chunk.text
        assert "Seite" not in chunk.text


def test_pdf_lines_of_a_paragraph_are_joined(tmp_path, settings):
    document = load(merkblatt_pdf(tmp_path / "merkblatt.pdf"), settings)
    assert document.chunks[0].text == (
        "1 Antrag\n\nDer Antrag auf Förderung wird vor Beginn der Maßnahme gestellt. Ohne vorherigen Antrag ist "
        "eine Förderung ausgeschlossen, auch wenn alle übrigen Voraussetzungen erfüllt sind.")


def test_pdf_title_falls_back_to_first_line_then_file_stem(tmp_path, settings):
    headed = text_pdf(tmp_path / "umzug.pdf", ["Hinweisblatt Umzug\nWer umzieht, meldet dies dem Amt."])
    assert labels(load(headed, settings)) == ["Hinweisblatt Umzug, S. 1"]
    sentence = text_pdf(tmp_path / "vermerk_2025.pdf", ["Wer umzieht, meldet dies dem Amt."])
    assert labels(load(sentence, settings)) == ["vermerk_2025, S. 1"]


def test_source_title_wins_over_pdf_metadata(tmp_path, settings):
    document = load(merkblatt_pdf(tmp_path / "m.pdf"), settings, title="Merkblatt 7")
    assert labels(document)[0] == "Merkblatt 7, S. 1"
    assert document.title == "Merkblatt 7"


def test_long_pdf_page_is_split_into_parts_with_the_page_label(tmp_path):
    long_page = " ".join(f"Satz {n} beschreibt eine weitere Pflicht der antragstellenden Person." for n in range(1, 30))
    path = merkblatt_pdf(tmp_path / "lang.pdf", pages=["Kurze Seite eins.", long_page])
    document = load(path, Settings(data=tmp_path / "data", max_chunk_chars=300))
    page_two = [chunk for chunk in document.chunks if chunk.label == "Merkblatt Testverfahren, S. 2"]
    assert len(page_two) > 2
    assert all(chunk.page_start == 2 and len(chunk.text) <= 300 for chunk in page_two)
    assert [chunk.part for chunk in page_two] == list(range(1, len(page_two) + 1))
    assert_spans(document)


def test_image_only_pdf_needs_ocr(tmp_path, settings):
    with pytest.raises(NeedsOCRError, match="needs OCR"):
        load(image_only_pdf(tmp_path / "scan.pdf"), settings)


def fpdf_encrypted(path: Path) -> Path:
    pdf = FPDF()
    pdf.set_encryption(owner_password="eigentuemer", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Vertraulich")
    pdf.output(str(path))
    return path


@pytest.mark.parametrize("make", [encrypted_pdf, fpdf_encrypted], ids=["pypdf-encrypted", "fpdf2-encrypted"])
def test_pdf_with_user_password_is_reported_as_encrypted(tmp_path, settings, make):
    path = make(tmp_path / "geschuetzt.pdf")
    with pytest.raises(IngestError, match="encrypted") as error:
        load(path, settings)
    assert "geschuetzt.pdf" in str(error.value)


def test_corrupt_pdf_is_reported_as_corrupt(tmp_path, settings):
    with pytest.raises(IngestError, match="corrupt") as error:
        load(corrupt_pdf(tmp_path / "kaputt.pdf"), settings)
    assert "kaputt.pdf" in str(error.value)


# --- Markdown, text, HTML -------------------------------------------------------------------


def test_markdown_sections_carry_their_heading_path(tmp_path, settings):
    path = tmp_path / "merkblatt.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    document = load(path, settings)
    assert labels(document) == ["Merkblatt Weiterbildung, Abschnitt 1",
                                "Merkblatt Weiterbildung, 1 Voraussetzungen",
                                "Merkblatt Weiterbildung, 1 Voraussetzungen › 1.1 Beratung",
                                "Merkblatt Weiterbildung, 2 Kosten"]
    assert document.title == "Merkblatt Weiterbildung"
    assert document.chunks[1].text == "Gefördert wird, wer die Weiterbildung braucht. Der Satz läuft über zwei Zeilen."
    assert document.chunks[2].locator == {"section": "3", "heading": "1 Voraussetzungen › 1.1 Beratung"}
    assert document.chunks[3].text == "Übernommen werden:\n\n- Lehrgangskosten\n- Fahrkosten"


def test_markdown_embedded_html_is_data_not_markup(tmp_path, settings):
    path = tmp_path / "merkblatt.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    beratung = load(path, settings).chunks[2]
    assert beratung.text == ("Vorher ist eine Beratung nötig, siehe [Beratungsangebot](https://www.example.org/beratung)."
                             "\n\nHinweis im Kasten")
    for hidden in ("<", "alert", "Skriptinhalt", "interner Kommentar", "autor: Test"):
        assert hidden not in load(path, settings).text


def test_text_without_headings_is_cited_by_abschnitt(tmp_path, settings):
    path = tmp_path / "notiz.txt"
    path.write_text("Die Frist beginnt mit dem Zugang\ndes Bescheids.\n\nSie endet nach einem Monat.\n", encoding="utf-8")
    document = load(path, settings)
    assert labels(document) == ["notiz, Abschnitt 1"]
    assert document.chunks[0].text == "Die Frist beginnt mit dem Zugang des Bescheids.\n\nSie endet nach einem Monat."
    assert document.chunks[0].locator == {"section": "1"}


def test_long_text_without_headings_is_cut_into_numbered_abschnitte(tmp_path):
    paragraphs = [f"Absatz {n}: Die Leistung wird für den Monat {n} gesondert berechnet und bewilligt." for n in range(1, 21)]
    path = tmp_path / "verlauf.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    document = load(path, Settings(data=tmp_path / "data", max_chunk_chars=300))
    assert len(document.chunks) > 3
    assert labels(document) == [f"verlauf, Abschnitt {n}" for n in range(1, len(document.chunks) + 1)]
    assert all(len(chunk.text) <= 300 for chunk in document.chunks)
    assert "\n\n".join(chunk.text for chunk in document.chunks) == "\n\n".join(paragraphs)
    assert_spans(document)


def test_text_with_numbered_headings_is_cited_by_heading(tmp_path, settings):
    path = tmp_path / "regeln.txt"
    path.write_text("1 Allgemeines\n\nDiese Regeln gelten für alle.\n\n1.1 Fristen\n\nFristen sind einzuhalten.\n\n"
                    "2 Schluss\n\nDie Regeln treten sofort in Kraft.\n", encoding="utf-8")
    document = load(path, settings)
    assert labels(document) == ["regeln, 1 Allgemeines", "regeln, 1 Allgemeines › 1.1 Fristen", "regeln, 2 Schluss"]
    assert document.chunks[1].text == "Fristen sind einzuhalten."


def test_html_page_sections_without_navigation_or_scripts(tmp_path, settings):
    path = tmp_path / "umzug.html"
    path.write_text(HTML, encoding="utf-8")
    document = load(path, settings, url="https://www.example.org/umzug.html")
    assert labels(document) == ["Hinweise zum Umzug, Meldung", "Hinweise zum Umzug, Kosten"]
    assert document.chunks[0].text == "Wer umzieht, meldet die neue Anschrift innerhalb von zwei Wochen."
    assert document.chunks[0].url == "https://www.example.org/umzug.html#meldung"
    for boilerplate in ("Besucherzaehlung", "color", "Startseite", "Menüpunkt", "Impressum", "<"):
        assert boilerplate not in document.text


def test_html_title_falls_back_to_title_element_when_no_heading_encloses_the_page(tmp_path, settings):
    path = tmp_path / "seite.html"
    path.write_text("<html><head><title>Umzug | Beispielportal</title></head><body><h2>Meldung</h2><p>Bitte melden.</p>"
                    "<h2>Kosten</h2><p>Nur nach Zusicherung.</p></body></html>", encoding="utf-8")
    assert labels(load(path, settings)) == ["Umzug | Beispielportal, Meldung", "Umzug | Beispielportal, Kosten"]


def test_kind_comes_from_source_info_else_other(tmp_path, settings):
    path = tmp_path / "notiz.txt"
    path.write_text("Ein Satz.", encoding="utf-8")
    assert load(path, settings, kind="ba").chunks[0].kind == "ba"
    assert load(path, settings).chunks[0].kind == "other"


# --- encodings and garbage ------------------------------------------------------------------


def test_cp1252_text_loads_with_a_warning(tmp_path, settings):
    path = tmp_path / "umlaute.txt"
    path.write_bytes("Die Maßnahme für Arbeitsuchende läuft über zwölf Monate. Grüße aus Köln.\n".encode("cp1252"))
    document = load(path, settings)
    assert document.chunks[0].text == "Die Maßnahme für Arbeitsuchende läuft über zwölf Monate. Grüße aus Köln."
    assert any("not UTF-8" in warning for warning in document.warnings)


def test_utf16_text_with_bom_loads(tmp_path, settings):
    path = tmp_path / "utf16.txt"
    path.write_bytes("Ärger über Gebühren ist verständlich.\n".encode("utf-16"))
    document = load(path, settings)
    assert document.chunks[0].text == "Ärger über Gebühren ist verständlich."


def test_binary_garbage_with_txt_extension_is_refused(tmp_path, settings):
    path = tmp_path / "daten.txt"
    path.write_bytes(random.Random(42).randbytes(4096))
    with pytest.raises(IngestError) as error:
        load(path, settings)
    assert "daten.txt" in str(error.value)


def test_control_characters_without_nul_bytes_are_refused_as_binary(tmp_path, settings):
    path = tmp_path / "steuer.txt"
    path.write_bytes(bytes(range(1, 32)) * 40 + b"Text")
    with pytest.raises(IngestError, match="binary content") as error:
        load(path, settings)
    assert "steuer.txt" in str(error.value)


# --- dispatch through load_document -----------------------------------------------------------


def test_load_document_routes_plain_files_to_the_generic_loader(tmp_path, settings):
    markdown = tmp_path / "merkblatt.md"
    markdown.write_text(MARKDOWN, encoding="utf-8")
    html = tmp_path / "umzug.htm"
    html.write_text(HTML, encoding="utf-8")
    text = tmp_path / "notiz.txt"
    text.write_text("Ein einzelner Satz.", encoding="utf-8")
    pdf = merkblatt_pdf(tmp_path / "merkblatt.pdf")
    for path in (markdown, html, text, pdf):
        document = load_document(SourceInfo(path.stem, path), settings)
        assert document.meta["loader"] == "generic", path
        assert document.chunks
        assert_spans(document)


def test_load_document_refuses_unknown_extension(tmp_path, settings):
    path = tmp_path / "notiz.docx"
    path.write_bytes(b"PK\x03\x04 not really a docx")
    with pytest.raises(IngestError, match="unsupported file type"):
        load_document(SourceInfo("d", path), settings)


def test_load_document_refuses_empty_file(tmp_path, settings):
    path = tmp_path / "leer.txt"
    path.write_bytes(b"")
    with pytest.raises(IngestError, match="empty file"):
        load_document(SourceInfo("e", path), settings)


@pytest.mark.parametrize("make, error, message", [
    (image_only_pdf, NeedsOCRError, "needs OCR"),
    (encrypted_pdf, IngestError, "encrypted"),
    (corrupt_pdf, IngestError, "corrupt"),
], ids=["scanned", "encrypted", "corrupt"])
def test_load_document_reports_bad_pdfs(tmp_path, settings, make, error, message):
    path = make(tmp_path / "problem.pdf")
    with pytest.raises(error, match=message) as raised:
        load_document(SourceInfo("p", path), settings)
    assert "problem.pdf" in str(raised.value)


def test_load_document_refuses_binary_garbage_named_txt(tmp_path, settings):
    path = tmp_path / "muell.txt"
    path.write_bytes(random.Random(7).randbytes(2048))
    with pytest.raises(IngestError) as error:
        load_document(SourceInfo("g", path), settings)
    assert "muell.txt" in str(error.value)


# --- span invariant ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["md", "html", "txt", "numbered", "pdf", "cp1252", "utf16"])
def test_span_invariant_holds_for_every_chunk(tmp_path, settings, name):
    files = {
        "md": lambda p: p.write_text(MARKDOWN, encoding="utf-8"),
        "html": lambda p: p.write_text(HTML, encoding="utf-8"),
        "txt": lambda p: p.write_text("Zeile eins\nZeile zwei.\n\n\n   Absatz   zwei.  ", encoding="utf-8"),
        "numbered": lambda p: p.write_text("1 Eins\n\nText.\n\n2 Zwei\n\nMehr Text.", encoding="utf-8"),
        "pdf": lambda p: merkblatt_pdf(p),
        "cp1252": lambda p: p.write_bytes("Grüße aus Köln.".encode("cp1252")),
        "utf16": lambda p: p.write_bytes("Grüße aus Köln.".encode("utf-16")),
    }
    suffix = {"md": ".md", "html": ".html", "pdf": ".pdf"}.get(name, ".txt")
    path = tmp_path / f"datei{suffix}"
    files[name](path)
    document = load(path, settings)
    assert document.chunks
    assert_spans(document)


def test_text_with_underlined_headings_is_cited_by_heading(tmp_path, settings):
    path = tmp_path / "hinweise.txt"
    path.write_text("Hinweise zur Anhörung\n=====================\n\nVorab ein Satz.\n\nFristen\n-------\n\n"
                    "Die Frist beträgt zwei Wochen.\nSie kann verlängert werden.\n", encoding="utf-8")
    document = load(path, settings)
    assert labels(document) == ["Hinweise zur Anhörung, Abschnitt 1", "Hinweise zur Anhörung, Fristen"]
    assert document.chunks[1].text == "Die Frist beträgt zwei Wochen. Sie kann verlängert werden."


def test_rule_under_a_paragraph_is_a_divider_not_a_heading(tmp_path, settings):
    path = tmp_path / "trenner.txt"
    path.write_text("Erster Absatz mit zwei\nZeilen Text.\n----------\n\nZweiter Absatz.\n", encoding="utf-8")
    document = load(path, settings)
    assert labels(document) == ["trenner, Abschnitt 1"]
    assert document.chunks[0].text == "Erster Absatz mit zwei Zeilen Text.\n\nZweiter Absatz."


def test_markdown_without_headings_is_cut_into_numbered_abschnitte(tmp_path):
    path = tmp_path / "liste.md"
    path.write_text("\n\n".join(f"Punkt {n} der Liste mit etwas erklärendem Text dazu." for n in range(1, 16)),
                    encoding="utf-8")
    document = load(path, Settings(data=tmp_path / "data", max_chunk_chars=250))
    assert len(document.chunks) > 2
    assert labels(document) == [f"liste, Abschnitt {n}" for n in range(1, len(document.chunks) + 1)]
    assert all(chunk.parts == 1 for chunk in document.chunks)
