"""The BA "Fachliche Weisungen" loader on the real PDFs of the corpus (and a few small PDFs
written here for layouts the corpus does not show)."""
from __future__ import annotations

import json
import os
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from fpdf import FPDF

from fundstelle.settings import Settings
from ingest.errors import IngestError
from ingest.loaders import ba_weisung
from ingest.loaders.base import SourceInfo

CORPUS = Settings().corpus
WEISUNGEN = sorted((CORPUS / "ba_weisungen").glob("sgb*/*.pdf"))
FW16 = CORPUS / "ba_weisungen" / "sgb2" / "FW_SGB_II_Par_16_Stand_26_03_2025.pdf"
DEV_SET = CORPUS.parent / "eval" / "dev.jsonl"


def _load(path: Path, settings: Settings | None = None):
    return ba_weisung.load(SourceInfo(doc_id=path.stem, path=path), settings or Settings())


@pytest.fixture(scope="module")
def all_docs():
    """Every Weisung of the corpus, loaded once (in parallel: pypdf takes ~1 s per 10 pages)."""
    with ProcessPoolExecutor(max_workers=min(len(WEISUNGEN), os.cpu_count() or 1)) as pool:
        docs = list(pool.map(_load, WEISUNGEN))
    return {path.relative_to(CORPUS).as_posix(): doc for path, doc in zip(WEISUNGEN, docs)}


@pytest.fixture(scope="module")
def fw16():
    return _load(FW16)


def _chunk(doc, label: str, part: int = 1):
    matches = [c for c in doc.chunks if c.label == label and c.part == part]
    assert matches, f"no chunk {label!r}; labels: {sorted({c.label for c in doc.chunks})[:40]}"
    return matches[0]


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


# -- FW § 16 SGB II: margin layout -----------------------------------------------------------

@pytest.mark.slow
def test_fw16_rz_16_1_is_cited_with_its_page_and_stand(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.1")
    assert (chunk.page_start, chunk.page_end) == (9, 9)
    assert chunk.stand == "Stand: 26.03.2025"
    assert chunk.stand_date == "2025-03-26"
    assert chunk.url == "https://www.arbeitsagentur.de/ueber-uns/veroeffentlichungen/gesetze-und-weisungen#page=9"


@pytest.mark.slow
def test_fw16_rz_16_1_locator_has_weisung_rz_and_section(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.1")
    assert chunk.locator == {"weisung": "§ 16 SGB II", "rz": "16.1", "section": "1.2 Leistungsgrundsätze"}
    assert (chunk.kind, chunk.doc_type) == ("ba", "Fachliche Weisung")
    assert chunk.title == "Fachliche Weisungen § 16 SGB II – Leistungen zur Eingliederung"


@pytest.mark.slow
def test_fw16_rz_16_1_text_is_the_paragraph_without_furniture_or_margin(fw16):
    text = _chunk(fw16, "FW § 16 SGB II, Rz. 16.1").text
    assert text.startswith("(1) Für die individuelle Leistungserbringung bedarf es einer dokumentierten "
                           "Prognoseentscheidung über die erforderlichen Leistungen zur Eingliederung in Arbeit")
    assert text.endswith("der gleiche Erfolg ohne sie wahrscheinlich nicht oder erst deutlich später "
                         "eintreten würde.")
    for furniture in ("BA Zentrale", "Seite ", "Fachliche Weisungen § 16", "Stand:", "Erforderlichkeit", "(16.1)"):
        assert furniture not in text


@pytest.mark.slow
def test_fw16_margin_keyword_goes_to_extra(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.1")
    assert chunk.extra["margin_note"] == "Erforderlichkeit, Wirtschaftlichkeit und Sparsamkeit"


@pytest.mark.slow
def test_fw16_hyphenation_at_line_end_is_repaired(fw16):
    text = _chunk(fw16, "FW § 16 SGB II, Rz. 16.1").text
    # The PDF breaks "sämtli-/cher" and "vorzuneh-/men" at line ends.
    assert "sämtlicher Umstände des Einzelfalls und der Potenzialanalyse vorzunehmen" in text
    assert "-\n" not in text and "Leistun-" not in text


@pytest.mark.slow
def test_fw16_rz_with_letter_suffix_is_its_own_unit(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.11a")
    assert chunk.text.startswith("(1) Mit dem Haushaltsfinanzierungsgesetz 2024 vom 22.12.2023")
    assert chunk.extra["margin_note"].startswith("Übergang hinsichtlich der beruflichen Weiterbildung")


@pytest.mark.slow
def test_fw16_rz_continues_over_a_page_break(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.9")
    assert (chunk.page_start, chunk.page_end) == (11, 12)
    assert chunk.text.endswith("Die Darlehensgewährung umfasst ausschließlich die Leistungen zur Sicherung "
                               "des Lebensunterhalts.")


@pytest.mark.slow
def test_fw16_margin_keyword_offset_by_half_a_line_still_finds_its_paragraph(fw16):
    # On page 14 "Vermittlungsangebot (16.14)" sits half a line below "(1) Eine Pflichtleistung …".
    chunk = _chunk(fw16, "FW § 16 SGB II, Rz. 16.14")
    assert chunk.text.startswith("(1) Eine Pflichtleistung des SGB II ist das Vermittlungsangebot "
                                 "(§ 16 Absatz 1 Satz 1")


@pytest.mark.slow
def test_fw16_change_log_is_its_own_chunk_not_rz_content(fw16):
    changelog = " ".join(c.text for c in fw16.chunks if c.label == "FW § 16 SGB II, Änderungshistorie")
    assert "Rz. 16.31: Mit dem Gesetz zur Förderung der beruflichen Weiterbildung im Strukturwandel" in changelog
    rz_text = " ".join(c.text for c in fw16.chunks if "rz" in c.locator)
    assert "Fassung vom 26.03.2025" not in rz_text
    assert "Strukturwandel und zur Weiterentwicklung der Ausbildungsförderung vom 20.05.2020 wurde" not in rz_text


@pytest.mark.slow
def test_fw16_quoted_law_is_labelled_gesetzestext(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, Gesetzestext")
    assert chunk.locator == {"weisung": "§ 16 SGB II", "part": "Gesetzestext"}
    assert chunk.page_start == 6
    assert ("(1) Zur Eingliederung in Arbeit erbringt die Agentur für Arbeit Leistungen nach § 35 des Dritten "
            "Buches.") in chunk.text


@pytest.mark.slow
def test_fw16_text_before_the_first_rz_is_labelled_by_page(fw16):
    chunk = _chunk(fw16, "FW § 16 SGB II, S. 9")
    assert chunk.locator["page"] == "9"
    assert chunk.text.startswith("(1) Zur Unterstützung der Teilnahme an abschlussorientierter Weiterbildung")


@pytest.mark.slow
def test_fw16_table_of_contents_is_left_out(fw16):
    assert "Inhaltsverzeichnis" not in fw16.text
    assert "......" not in fw16.text


@pytest.mark.slow
def test_fw16_annex_is_labelled_anlage(fw16):
    labels = {c.label for c in fw16.chunks}
    assert "FW § 16 SGB II, Anlage 1" in labels


# -- other Weisungen -------------------------------------------------------------------------

@pytest.mark.slow
def test_weisung_on_several_paragraphs_names_the_paragraph_of_each_rz(all_docs):
    doc = all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_11_11a_11b_Einkommen.pdf"]
    assert _chunk(doc, "FW § 11 SGB II, Rz. 11.1").extra["margin_note"] == "Begriff des Einkommens"
    ferienjob = _chunk(doc, "FW § 11a SGB II, Rz. 11.105")
    assert "eine Beschränkung der Höhe nach gibt es nicht mehr" in ferienjob.text
    assert _chunk(doc, "FW § 11b SGB II, Rz. 11.118").text.startswith("Absetzbar sind folgende Steuern:")
    assert doc.title == "Fachliche Weisungen §§ 11–11b SGB II – Zu berücksichtigendes Einkommen"


@pytest.mark.slow
def test_quoted_law_of_several_paragraphs_gets_one_unit_per_paragraph(all_docs):
    doc = all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_11_11a_11b_Einkommen.pdf"]
    assert _chunk(doc, "FW § 11a SGB II, Gesetzestext").text.startswith("§ 11a")


@pytest.mark.slow
def test_sgb3_weisung_rz_headings_in_the_text(all_docs):
    doc = all_docs["ba_weisungen/sgb3/FW_SGB_III_Par_44_Vermittlungsbudget.pdf"]
    chunk = _chunk(doc, "FW § 44 SGB III, Rz. V.44.01")
    assert chunk.page_start == 12
    assert chunk.text.startswith("V.44.01 – Antragstellung\n\n(1) Eine Förderung aus dem VB wird gem. "
                                 "§ 324 SGB III")
    assert chunk.stand == "Stand: 03.03.2025"
    assert _chunk(doc, "FW § 44 SGB III, Rz. 44.01").text.startswith("44.01 – Zielsetzung")


@pytest.mark.slow
def test_sgb3_margin_keywords_are_not_in_the_text(all_docs):
    doc = all_docs["ba_weisungen/sgb3/FW_SGB_III_Par_44_Vermittlungsbudget.pdf"]
    chunk = _chunk(doc, "FW § 44 SGB III, Rz. V.44.02")
    assert "Räumliche Zuständigkeit" in chunk.extra["margin_notes"]
    assert "Räumliche Zuständig" not in chunk.text


@pytest.mark.slow
def test_eingliederungszuschuss_rz_names_its_paragraph_and_procedure_rz_the_weisung(all_docs):
    doc = all_docs["ba_weisungen/sgb3/FW_SGB_III_Par_88-92_Eingliederungszuschuss.pdf"]
    assert _chunk(doc, "FW § 89 SGB III, Rz. 89.1").locator["weisung"] == "§ 89 SGB III"
    assert _chunk(doc, "FW § 88 SGB III, Rz. 88.44.1").page_start > 0
    assert _chunk(doc, "FW §§ 88–92 SGB III, Rz. V.EGZ.1").text.startswith(
        "(1) Die Antragstellung ist grundsätzlich an keine Form gebunden.")


@pytest.mark.slow
def test_a_word_whose_first_letter_the_pdf_drew_apart_is_whole_again(all_docs):
    # The PDF draws "B" and "ei Anfragen" as two runs with a gap between them.
    rz = _chunk(all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_07_Leistungsberechtigte.pdf"], "FW § 7 SGB II, Rz. 7.68")
    assert "(3) Bei Anfragen der JC" in rz.text and "B ei" not in rz.text
    regelbedarfe = all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_20_Regelbedarfe_2023.pdf"]
    text = "\n".join(c.text for c in regelbedarfe.chunks)
    assert "Alleinstehend ist eine Person" in text and "Alleinstehend i st" not in text


def test_only_a_split_the_document_itself_confirms_is_joined():
    from ingest.pdf import PositionedLine, PositionedPage

    def page(*texts):
        return PositionedPage(1, 595.0, 842.0, [PositionedLine(1, 70.0, 700.0 - 12 * i, 500.0, 10.0, False, t)
                                                for i, t in enumerate(texts)])

    pages = [page("B ei Anfragen gilt das.", "Bei Bedarf und bei Frau A.", "Es bleibt bei Frau A erhält 10 Euro.",
                  "Person E in Köln ist ein Fall; in der Regel in Bonn; in Bayern auch.",
                  "Das ist a usgeschlossen, weil es die B edingung nicht gibt.")]
    assert ba_weisung.rejoin_split_words(pages) == 1
    lines = [line.text for line in pages[0].lines]
    assert lines[0] == "Bei Anfragen gilt das."
    assert "Frau A erhält" in lines[2]          # "aerhält" is no word of the document
    assert "Person E in Köln" in lines[3]       # "in" stands alone more often than "ein" occurs
    assert "a usgeschlossen" in lines[4]        # "ausgeschlossen" occurs nowhere else: not confirmed
    assert "B edingung" in lines[4]


@pytest.mark.slow
def test_repealed_rz_gets_no_unit(all_docs):
    labels = {c.label for c in all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_07_Leistungsberechtigte.pdf"].chunks}
    assert "FW § 7 SGB II, Rz. 7.49" in labels
    assert not any(label.startswith("FW § 7 SGB II, Rz. 7.50") for label in labels)  # "aufgehoben (7.50 – 7.51)"


@pytest.mark.slow
def test_margin_block_below_the_last_line_belongs_to_the_next_page(all_docs):
    # FW § 10: "geringerwertige Arbeit (10.35)" stands at the foot of page 19, its text is on page 20.
    chunk = _chunk(all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_10_Zumutbarkeit.pdf"], "FW § 10 SGB II, Rz. 10.35")
    assert chunk.page_start == 20
    assert chunk.extra["margin_note"] == "geringerwertige Arbeit"


# -- the dev set and invariants over every Weisung -------------------------------------------

def _dev_cases():
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["id"], row["source"], row["locator"], row.get("page"), quote)
            for row in rows if row.get("source", "").startswith("ba_weisungen/")
            for quote in row["evidence"]]


@pytest.mark.slow
@pytest.mark.parametrize(("case_id", "source", "locator", "page", "quote"), _dev_cases())
def test_dev_evidence_is_in_the_chunk_with_the_gold_label(all_docs, case_id, source, locator, page, quote):
    doc = all_docs[source]
    found = [c for c in doc.chunks if _letters(quote) in _letters(c.text)]
    assert any(c.label == locator for c in found), (case_id, [(c.label, c.page_start) for c in found])
    if page is not None:
        assert any(c.label == locator and c.page_start <= page <= c.page_end for c in found), (
            case_id, [(c.label, c.page_start, c.page_end) for c in found])


@pytest.mark.slow
def test_every_weisung_of_the_corpus_loads(all_docs):
    assert len(all_docs) == 15
    for name, doc in all_docs.items():
        assert doc.kind == "ba" and doc.chunks, name
        assert doc.chunks[0].stand_date, name
        assert sum("rz" in c.locator for c in doc.chunks) >= 10, name


@pytest.mark.slow
@pytest.mark.parametrize("name", [p.relative_to(CORPUS).as_posix() for p in WEISUNGEN])
def test_chunk_text_is_its_span_of_the_document_text_and_not_empty(all_docs, name):
    doc = all_docs[name]
    for chunk in doc.chunks:
        assert chunk.text.strip(), chunk.label
        assert doc.text[chunk.span[0]:chunk.span[1]] == chunk.text, chunk.label
        assert 1 <= chunk.page_start <= chunk.page_end <= doc.pages, chunk.label


# -- small PDFs for layouts and failures -----------------------------------------------------

def _margin_weisung(path: Path, *, wide_last_page: bool = False) -> Path:
    """A two-column Weisung like the SGB II ones: title page, one page with three Rz."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)

    def furniture(page_number: int | None) -> None:
        pdf.set_font("Helvetica", "B", 11)
        pdf.text(70.9, 73, "Fachliche Weisungen § 99 SGB II")
        pdf.set_font("Helvetica", "", 9)
        pdf.text(70.9, 794, "BA Zentrale FGL 21" + (f"  Seite {page_number}" if page_number else ""))
        pdf.text(70.9, 804, "Stand: 01.02.2025")

    pdf.add_page()
    furniture(None)
    pdf.set_font("Helvetica", "B", 20)
    pdf.text(200, 290, "Fachliche Weisungen")
    pdf.text(250, 330, "§ 99 SGB II")
    pdf.text(180, 355, "Testleistungen")

    pdf.add_page()
    furniture(1)
    pdf.set_font("Helvetica", "B", 12)
    pdf.text(70.9, 115, "1. Grundsätze")
    y = 140.0
    paragraphs = [
        ("Erster Punkt", "(99.1)", ["(1) Die Jobcenter prüfen die Förderung der beruflichen Wei-",
                                    "terbildung vor jeder anderen Leistung."]),
        ("Zweiter Punkt", "(99.2)", ["(2) Ein Antrag ist formlos möglich."]),
        ("Dritter Punkt", "(99.3)", ["(3) Die Entscheidung ist zu dokumentieren."]),
    ]
    for keyword, rz, lines in paragraphs:
        pdf.set_font("Helvetica", "B", 11)
        pdf.text(432.4, y, keyword)
        pdf.text(432.4, y + 12.6, rz)
        pdf.set_font("Helvetica", "", 11)
        for line in lines:
            pdf.text(70.9, y, line)
            y += 12.6
        y += 25
    if wide_last_page:
        pdf.add_page()
        furniture(2)
        pdf.set_font("Helvetica", "", 11)
        for index in range(4):
            pdf.text(70.9, 115 + 12.6 * index, "Diese Zeile läuft über die ganze Seitenbreite bis an den rechten "
                                               f"Rand ohne Randspalte {index}.")
    pdf.output(str(path))
    return path


def test_small_margin_weisung_gets_rz_labels_from_the_margin(tmp_path):
    doc = _load(_margin_weisung(tmp_path / "FW_SGB_II_Par_99.pdf"))
    rz = [c for c in doc.chunks if "rz" in c.locator]
    assert [c.label for c in rz] == ["FW § 99 SGB II, Rz. 99.1", "FW § 99 SGB II, Rz. 99.2",
                                     "FW § 99 SGB II, Rz. 99.3"]
    assert rz[0].text == ("(1) Die Jobcenter prüfen die Förderung der beruflichen Weiterbildung vor jeder "
                          "anderen Leistung.")
    assert rz[0].extra["margin_note"] == "Erster Punkt"
    assert rz[0].locator["section"] == "1. Grundsätze"
    assert (rz[0].stand, rz[0].page_start) == ("Stand: 01.02.2025", 2)
    assert doc.title == "Fachliche Weisungen § 99 SGB II – Testleistungen"


def test_page_without_margin_column_goes_on_in_the_last_rz(tmp_path):
    doc = _load(_margin_weisung(tmp_path / "FW_SGB_II_Par_99.pdf", wide_last_page=True))
    last = [c for c in doc.chunks if c.label == "FW § 99 SGB II, Rz. 99.3"]
    assert last[-1].page_end == 3
    assert "bis an den rechten Rand ohne Randspalte 3." in last[-1].text
    assert "Seite 2" not in last[-1].text


@pytest.mark.slow
def test_long_rz_is_split_into_parts_with_the_same_label(all_docs):
    path = CORPUS / "ba_weisungen" / "sgb2" / "FW_SGB_II_Par_19_Buergergeld_2023.pdf"
    whole = _chunk(all_docs["ba_weisungen/sgb2/FW_SGB_II_Par_19_Buergergeld_2023.pdf"], "FW § 19 SGB II, Rz. 19.5")
    doc = _load(path, Settings(max_chunk_chars=300))
    parts = [c for c in doc.chunks if c.label == "FW § 19 SGB II, Rz. 19.5"]
    assert len(parts) > 1
    assert [c.part for c in parts] == list(range(1, len(parts) + 1))
    assert all(c.parts == len(parts) and len(c.text) <= 300 for c in parts)
    assert _letters("".join(c.text for c in parts)) == _letters(whole.text)


def _one_line_pdf(path, line: str, password: str | None = None):
    """A one-page PDF holding ``line`` (encrypted with ``password`` when given)."""
    pdf = FPDF(unit="pt", format="A4")
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    pdf.text(70, 100, line)
    pdf.output(str(path))
    return path


def test_password_protected_pdf_is_refused_with_a_clear_reason(tmp_path):
    path = _one_line_pdf(tmp_path / "locked.pdf", "Fachliche Weisungen § 99 SGB II", password="secret")
    with pytest.raises(IngestError, match="password"):
        _load(path)


def test_truncated_pdf_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "truncated.pdf"
    path.write_bytes(FW16.read_bytes()[:4000])
    with pytest.raises(IngestError, match="truncated.pdf"):
        _load(path)


def test_pdf_that_is_no_weisung_is_refused(tmp_path):
    path = _one_line_pdf(tmp_path / "brief.pdf", "Ein Brief ohne Paragraphen.")
    with pytest.raises(IngestError, match="Fachliche Weisungen"):
        _load(path)


@pytest.mark.slow
def test_each_part_of_a_long_rz_carries_the_roles_of_its_own_sentences():
    # Rz. 11.153 is cut into parts; its worked case ("Beispiel: Fährt die 23-jährige …") opens
    # a later part and must be marked an example there, not take the roles of another part.
    from index.roles import EXAMPLE, mark_roles
    from ingest.loaders import load_document

    path = CORPUS / "ba_weisungen" / "sgb2" / "FW_SGB_II_Par_11_11a_11b_Einkommen.pdf"
    doc = load_document(SourceInfo(doc_id=path.stem, path=path), Settings())
    parts = [c for c in doc.chunks if c.label == "FW § 11b SGB II, Rz. 11.153"]
    assert len(parts) > 1
    case = next(c for c in parts if c.text.startswith("Beispiel: Fährt"))
    first = case.extra["roles"][0]
    assert case.text[first[0]:first[1]].startswith("Beispiel: Fährt") and first[2] == EXAMPLE
    split = [c for c in doc.chunks if c.parts > 1]
    assert all(0 <= start < end <= len(c.text) for c in split for start, end, _ in c.extra["roles"])
    # Every sentence of a part has its role (the parts are marked as one unit, then cut).
    assert all(len(c.extra["roles"]) == len(mark_roles(c)) for c in split if c.part == 1)


def test_a_worked_case_that_runs_on_into_the_next_part_stays_a_worked_case():
    # Rz. 11.154 is cut in the middle of its worked case; the case's sentences in the second
    # part ("Sie erhält dafür ein monatliches Taschengeld von 438,00 Euro.") are no rules.
    from index.roles import EXAMPLE, role_of
    from ingest.loaders import load_document

    path = CORPUS / "ba_weisungen" / "sgb2" / "FW_SGB_II_Par_11_11a_11b_Einkommen.pdf"
    doc = load_document(SourceInfo(doc_id=path.stem, path=path), Settings())
    second = next(c for c in doc.chunks if c.label == "FW § 11b SGB II, Rz. 11.154" and c.part == 2)
    sentence = "Sie erhält dafür ein monatliches Taschengeld von 438,00 Euro."
    start = second.text.index(sentence)
    assert role_of(second.extra["roles"], start, start + len(sentence)) == EXAMPLE
