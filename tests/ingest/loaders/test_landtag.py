"""Tests for the Landtag loader: the real answer to Kleine Anfrage 5591 (text extracted from
the NRW PDF) and a generated 3-page NRW Drucksache PDF read with pypdf."""
from __future__ import annotations

import json
import unicodedata

import pytest

from fundstelle.settings import Settings
from index.chunk import Chunk, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders import landtag
from ingest.loaders.base import SourceInfo
from tests.fixtures.make_landtag_pdf import make_landtag_answer_pdf

SETTINGS = Settings()
CORPUS = SETTINGS.corpus
DEV_SET = CORPUS.parent / "eval" / "dev.jsonl"
KA_5591 = "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"
NRW_URL = "https://www.landtag.nrw.de/portal/WWW/dokumentenarchiv/Dokument/MMD18-14567.pdf"


def load(path, doc_id: str = "landtag-test", **info) -> LoadedDocument:
    return landtag.load(SourceInfo(doc_id=doc_id, path=path, **info), SETTINGS)


def by_label(doc: LoadedDocument, label: str) -> list[Chunk]:
    chunks = [c for c in doc.chunks if c.label == label]
    assert chunks, f"no chunk labelled {label!r}; labels: {sorted({c.label for c in doc.chunks})}"
    return chunks


def unit_text(doc: LoadedDocument, label: str) -> str:
    """The whole unit (all parts) of a label, as in doc.text."""
    chunks = by_label(doc, label)
    return doc.text[chunks[0].span[0]:chunks[-1].span[1]]


def normalised(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


@pytest.fixture(scope="module")
def ka() -> LoadedDocument:
    return load(CORPUS / KA_5591, doc_id="landtag-nrw-18-ka-5591-antwort")


@pytest.fixture(scope="session")
def answer_pdf(tmp_path_factory):
    return make_landtag_answer_pdf(tmp_path_factory.mktemp("landtag") / "MMD18-14567.pdf")


@pytest.fixture(scope="module")
def pdf(answer_pdf) -> LoadedDocument:
    return load(answer_pdf, doc_id="landtag-nrw-18-14567")


# --------------------------------------------------------------------- KA 5591, text file


def test_ka5591_is_an_answer_to_kleine_anfrage_5591(ka):
    assert (ka.kind, ka.doc_type) == ("landtag", "Antwort auf Kleine Anfrage")
    assert ka.meta["anfrage"] == "5591"
    assert {c.kind for c in ka.chunks} == {"landtag"}
    assert {c.doc_type for c in ka.chunks} == {"Antwort auf Kleine Anfrage"}


def test_ka5591_title_is_the_heading_line(ka):
    assert ka.title == "Arbeitsmarkt-Integration von geflüchteten und arbeitslosen Menschen"


def test_ka5591_catalogue_title_wins_over_heading():
    doc = load(CORPUS / KA_5591, title="Antwort auf KA 5591")
    assert doc.title == "Antwort auf KA 5591"
    assert {c.title for c in doc.chunks} == {"Antwort auf KA 5591"}


def test_ka5591_stand_is_the_date_of_the_answer_letter(ka):
    assert {c.stand_date for c in ka.chunks} == {"2025-06-30"}
    assert {c.stand for c in ka.chunks} == {"Antwort vom 30.06.2025"}


def test_ka5591_answering_ministry_is_recognised(ka):
    assert ka.meta["ministry"] == "Der Minister für Arbeit, Gesundheit und Soziales"
    assert by_label(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 3")[0].extra["ministry"] == \
        "Der Minister für Arbeit, Gesundheit und Soziales"


def test_ka5591_question_3_chunk_holds_question_and_answer(ka):
    (chunk,) = by_label(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 3")
    assert chunk.text.startswith("3. Welche messbaren Zielgrößen (z. B. Integrationsquote in "
                                 "sozialversicherungspflichtige Beschäftigung) wurden zu Beginn der "
                                 "Initiative definiert?\n\n")
    assert "Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert." in chunk.text
    assert chunk.locator == {"anfrage": "5591", "frage": "3"}


def test_ka5591_line_end_hyphen_in_word_is_removed(ka):
    (chunk,) = by_label(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 3")
    assert "Vielmehr wurden verschiedene Ansätze verfolgt" in chunk.text
    assert "Viel-" not in chunk.text


def test_ka5591_job_turbo_keeps_its_hyphen_across_line_break(ka):
    text = unit_text(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 4")
    assert "dem „Job-Turbo“ auf Bundesebene" in text


def test_ka5591_question_broken_by_blank_lines_is_one_sentence(ka):
    text = unit_text(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 1")
    assert text.startswith("1. Wie hoch ist der Anteil der Verwaltungskosten an den Gesamtkosten der "
                           "Jobcenter in NRW?\n\nDie Fragestellung kann")


def test_ka5591_question_with_bitte_parenthesis_keeps_it_in_the_question(ka):
    text = unit_text(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 4")
    assert ("aufgewendet? (Bitte zwischen Geflüchteten und Arbeitslosen differenzieren und bei "
            "Geflüchteten Nationalitäten ausweisen)\n\nDie Initiative wurde") in text


def test_ka5591_questions_1_to_5_each_present_once(ka):
    labels = [c.label for c in ka.chunks if "frage" in c.locator and c.part == 1]
    assert labels == [f"Antwort auf Kleine Anfrage 5591, zu Frage {n}" for n in range(1, 6)]


def test_ka5591_long_answer_split_into_parts_keeps_label(ka):
    parts = by_label(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 5")
    assert [(c.part, c.parts) for c in parts] == [(1, 2), (2, 2)]
    assert {c.locator["frage"] for c in parts} == {"5"}
    assert all(len(c.text) <= SETTINGS.max_chunk_chars for c in parts)


def test_ka5591_tracking_links_at_page_end_do_not_break_the_sentence(ka):
    text = unit_text(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 5")
    assert "erforderlich sind. Bei der Auswahl der Eingliederungsleistung werden persönliche Kriterien" in text


def test_ka5591_no_chunk_contains_urls_or_tracking_links(ka):
    for chunk in ka.chunks:
        assert "http" not in chunk.text, chunk.label
        assert "bing.com" not in chunk.text, chunk.label
    assert "bing.com" not in ka.text


def test_ka5591_vorbemerkung_of_kleine_anfrage_holds_job_turbo(ka):
    text = unit_text(ka, "Kleine Anfrage 5591, Vorbemerkung")
    assert text.startswith("Im Oktober 2023 startete die Bundesregierung den sogenannten „Job Turbo“ "
                           "zur schnelleren Integration von Geflüchteten in den deutschen Arbeitsmarkt.\n\n")
    assert by_label(ka, "Kleine Anfrage 5591, Vorbemerkung")[0].locator == {"anfrage": "5591",
                                                                              "teil": "vorbemerkung"}


def test_ka5591_footnote_markers_leave_the_text_and_their_urls_go_to_extra(ka):
    chunks = by_label(ka, "Kleine Anfrage 5591, Vorbemerkung")
    text = unit_text(ka, "Kleine Anfrage 5591, Vorbemerkung")
    assert "Arbeitsmarkt.1" not in text and "unterstützen.2" not in text and "würden.3" not in text
    urls = [url for c in chunks for url in c.extra.get("footnote_urls", [])]
    assert len(urls) == 3
    assert urls[0].startswith("https://www.bmas.de/DE/Arbeit/Migration-und-Arbeit/")
    assert urls[2].startswith("https://www.bertelsmann-stiftung.de/de/themen/aktuelle-meldungen/2025/maerz/")
    # The Bertelsmann footnote belongs to the part whose text carries its marker.
    assert chunks[-1].extra["footnote_urls"][-1] == urls[2]
    assert "würden." in chunks[-1].text


def test_ka5591_url_in_answer_text_loses_its_scheme_and_is_kept_in_extra(ka):
    (chunk,) = by_label(ka, "Antwort auf Kleine Anfrage 5591, zu Frage 2")
    assert "Statistik-Service der Bundesagentur für Arbeit (statistik.arbeitsagentur.de)." in chunk.text
    assert chunk.extra["urls"] == ["https://statistik.arbeitsagentur.de"]


def test_ka5591_answer_sentence_is_its_own_chunk(ka):
    (chunk,) = by_label(ka, "Antwort auf Kleine Anfrage 5591, Einleitung")
    assert chunk.text.startswith("Der Minister für Arbeit, Gesundheit und Soziales hat die Kleine Anfrage "
                                 "5591 mit Schreiben vom 30. Juni 2025 namens der Landesregierung")
    assert chunk.text.endswith("Gleichstellung, Flucht und Integration beantwortet.")
    assert chunk.locator == {"anfrage": "5591", "teil": "antwort"}


def test_ka5591_text_file_chunks_have_no_page_and_no_drucksache(ka):
    assert all(c.page_start is None and c.page_end is None for c in ka.chunks)
    assert all("Drs." not in c.label and "drucksache" not in c.locator for c in ka.chunks)
    assert all(c.url == "" for c in ka.chunks)
    assert ka.pages == 0


def test_ka5591_catalogue_url_is_used_unchanged_for_a_text_file():
    url = "https://www.landtag.nrw.de/home/dokumente/dokumentensuche/anfragen.html?nummer=5591"
    doc = load(CORPUS / KA_5591, url=url)
    assert {c.url for c in doc.chunks} == {url}


def test_ka5591_in_cp1252_still_loads_with_a_warning(tmp_path, ka):
    legacy = tmp_path / "ka5591_cp1252.txt"
    legacy.write_bytes((CORPUS / KA_5591).read_text(encoding="utf-8").encode("cp1252"))
    doc = load(legacy)
    assert any("not UTF-8" in w for w in doc.warnings)
    assert [c.label for c in doc.chunks] == [c.label for c in ka.chunks]
    assert [c.text for c in doc.chunks] == [c.text for c in ka.chunks]


def test_ka5591_dev_set_evidence_is_found_under_the_gold_label(ka):
    cases = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [case for case in cases if case.get("source", "").startswith("landtag/")]
    assert cases, "the dev set has Landtag questions"
    docs = {KA_5591: ka}
    for case in cases:
        doc = docs.setdefault(case["source"], load(CORPUS / case["source"]))
        chunks = [c for c in doc.chunks if c.label == case["locator"]]
        assert chunks, f"{case['id']}: no chunk labelled {case['locator']!r}"
        for quote in case["evidence"]:
            assert any(normalised(quote) in normalised(c.text) for c in chunks), f"{case['id']}: {quote!r}"


# --------------------------------------------------------------------- generated NRW PDF


def test_pdf_drucksache_and_wahlperiode_are_recognised(pdf):
    assert pdf.meta["drucksache"] == "18/14567"
    assert pdf.meta["wahlperiode"] == "18"
    assert pdf.meta["anfrage_drucksache"] == "18/13987"
    assert pdf.meta["anfrage_date"] == "2025-05-09"
    assert pdf.meta["askers"] == "Max Beispiel und Erika Muster AfD"
    assert pdf.pages == 3


def test_pdf_is_an_answer_with_title_and_stand(pdf):
    assert pdf.doc_type == "Antwort auf Kleine Anfrage"
    assert pdf.title == "Arbeitsmarkt-Integration von geflüchteten und arbeitslosen Menschen"
    assert {c.stand for c in pdf.chunks} == {"Antwort vom 30.06.2025"}
    assert {c.stand_date for c in pdf.chunks} == {"2025-06-30"}


def test_pdf_labels_carry_drucksache_and_page(pdf):
    assert [c.label for c in pdf.chunks] == [
        "Kleine Anfrage 5591, Vorbemerkung, Drs. 18/14567 vom 30.06.2025, S. 1",
        "Antwort auf Kleine Anfrage 5591, Einleitung, Drs. 18/14567 vom 30.06.2025, S. 2",
        "Antwort auf Kleine Anfrage 5591, Vorbemerkung der Landesregierung, Drs. 18/14567 vom 30.06.2025, S. 2",
        "Antwort auf Kleine Anfrage 5591, zu Frage 1, Drs. 18/14567 vom 30.06.2025, S. 2",
        "Antwort auf Kleine Anfrage 5591, zu Frage 2, Drs. 18/14567 vom 30.06.2025, S. 2",
        "Antwort auf Kleine Anfrage 5591, zu Frage 3, Drs. 18/14567 vom 30.06.2025, S. 2 f.",
        "Antwort auf Kleine Anfrage 5591, zu Fragen 4 und 5, Drs. 18/14567 vom 30.06.2025, S. 3",
    ]


def test_pdf_locator_carries_drucksache_and_wahlperiode(pdf):
    (chunk,) = by_label(pdf, "Antwort auf Kleine Anfrage 5591, zu Frage 1, Drs. 18/14567 vom 30.06.2025, S. 2")
    assert chunk.locator == {"anfrage": "5591", "frage": "1", "drucksache": "18/14567", "wahlperiode": "18"}


def test_pdf_answer_across_page_break_is_one_unit_without_running_header(pdf):
    (chunk,) = by_label(pdf, "Antwort auf Kleine Anfrage 5591, zu Frage 3, Drs. 18/14567 vom 30.06.2025, S. 2 f.")
    assert (chunk.page_start, chunk.page_end) == (2, 3)
    assert ("Feste Zielwerte wurden beim Start der Initiative nicht vereinbart. Vielmehr sollten die "
            "Jobcenter vor Ort eigene Schwerpunkte setzen") in chunk.text
    assert "die Verzahnung mit dem „Job-Turbo“ des Bundes. Die Ergebnisse werden" in chunk.text
    for furniture in ("Landtag Nordrhein-Westfalen", "- 3 -", "Drucksache"):
        assert furniture not in chunk.text


def test_pdf_chunk_urls_point_to_their_page(pdf):
    (chunk,) = by_label(pdf, "Antwort auf Kleine Anfrage 5591, zu Frage 1, Drs. 18/14567 vom 30.06.2025, S. 2")
    assert chunk.url == f"{NRW_URL}#page=2"
    assert all(c.url == f"{NRW_URL}#page={c.page_start}" for c in pdf.chunks)


def test_pdf_catalogue_url_gets_the_page_anchor(answer_pdf):
    doc = load(answer_pdf, url="https://example.org/drucksache.pdf")
    (chunk,) = by_label(doc, "Antwort auf Kleine Anfrage 5591, zu Frage 2, Drs. 18/14567 vom 30.06.2025, S. 2")
    assert chunk.url == "https://example.org/drucksache.pdf#page=2"


def test_pdf_every_chunk_knows_its_page(pdf):
    assert all(c.page_start in (1, 2, 3) and c.page_end in (1, 2, 3) for c in pdf.chunks)
    assert by_label(pdf, "Kleine Anfrage 5591, Vorbemerkung, Drs. 18/14567 vom 30.06.2025, S. 1")[0].page_start == 1


def test_pdf_issue_date_footer_is_not_in_any_chunk(pdf):
    for chunk in pdf.chunks:
        assert "Datum des Originals" not in chunk.text
        assert "Ausgegeben" not in chunk.text
    assert "Datum des Originals" not in pdf.text


def test_pdf_footnotes_leave_the_text_for_extra(pdf):
    (chunk,) = by_label(pdf, "Kleine Anfrage 5591, Vorbemerkung, Drs. 18/14567 vom 30.06.2025, S. 1")
    assert "eine Beschäftigung aufnehmen. Auch in Nordrhein-Westfalen" in chunk.text
    assert "Initiative zur Arbeitsmarktintegration vereinbart.\n\nDie Fragesteller" in chunk.text
    assert chunk.extra["footnote_urls"] == [
        "https://www.bmas.de/DE/Arbeit/Migration-und-Arbeit/Flucht-und-Asyl/job-turbo.html",
        "https://www.land.nrw/pressemitteilung/initiative-arbeitsmarktintegration-gefluechteter-menschen",
    ]
    assert all("http" not in c.text for c in pdf.chunks)


def test_pdf_questions_answered_together_get_one_joint_label(pdf):
    (chunk,) = by_label(pdf, "Antwort auf Kleine Anfrage 5591, zu Fragen 4 und 5, Drs. 18/14567 vom 30.06.2025, S. 3")
    assert chunk.locator["frage"] == "4,5"
    assert chunk.text.startswith("4. Wie viel Geld wurde im Rahmen der Initiative für die Gruppe der "
                                 "Geflüchteten aufgewendet?\n\n5. Wie stellt die Landesregierung sicher, "
                                 "dass die eingesetzten Mittel zu einer nachhaltigen Eingliederung")
    assert "Die Fragen 4 und 5 werden gemeinsam beantwortet." in chunk.text
    assert chunk.text.endswith("die Jobcenter berichten hierzu regelmäßig über ihre Zielerreichung.")


def test_pdf_vorbemerkung_der_landesregierung_is_its_own_chunk(pdf):
    (chunk,) = by_label(pdf, "Antwort auf Kleine Anfrage 5591, Vorbemerkung der Landesregierung, "
                             "Drs. 18/14567 vom 30.06.2025, S. 2")
    assert chunk.text == ("Die Integration geflüchteter Menschen in Ausbildung und Arbeit ist ein zentrales "
                          "Anliegen der Landesregierung. Zuständig für die Vermittlung sind die Jobcenter "
                          "und die Agenturen für Arbeit.")


@pytest.mark.parametrize("which", ["ka", "pdf"])
def test_every_chunk_text_is_its_span_of_the_document_text(which, request):
    doc = request.getfixturevalue(which)
    assert doc.chunks
    for chunk in doc.chunks:
        assert doc.text[chunk.span[0]:chunk.span[1]] == chunk.text
        assert chunk.doc_id == doc.doc_id


# --------------------------------------------------------------------- other document types


KLEINE_ANFRAGE = """LANDTAG NORDRHEIN-WESTFALEN
18. Wahlperiode

Drucksache 18/13987

09.05.2025

Kleine Anfrage 5591

der Abgeordneten Max Beispiel und Erika Muster AfD

Arbeitsmarkt-Integration von geflüchteten und arbeitslosen Menschen

Vorbemerkung der Kleinen Anfrage

Im Frühjahr 2024 wurde in Nordrhein-Westfalen eine Initiative zur Arbeitsmarktintegration
gestartet.

Die Landesregierung wird vor diesem Hintergrund gefragt:

1. Wie hoch ist der Anteil der Verwaltungskosten an den Gesamtkosten der Jobcen-
ter in NRW?

2. Welche messbaren Zielgrößen wurden zu Beginn der Initiative definiert?
"""


def test_kleine_anfrage_without_answer_labels_its_questions(tmp_path):
    path = tmp_path / "ka.txt"
    path.write_text(KLEINE_ANFRAGE, encoding="utf-8")
    doc = load(path)
    assert doc.doc_type == "Kleine Anfrage"
    assert [c.label for c in doc.chunks] == ["Kleine Anfrage 5591, Vorbemerkung, Drs. 18/13987 vom 09.05.2025",
                                             "Kleine Anfrage 5591, Frage 1, Drs. 18/13987 vom 09.05.2025",
                                             "Kleine Anfrage 5591, Frage 2, Drs. 18/13987 vom 09.05.2025"]
    assert doc.chunks[1].text == ("1. Wie hoch ist der Anteil der Verwaltungskosten an den Gesamtkosten "
                                  "der Jobcenter in NRW?")
    assert {c.stand_date for c in doc.chunks} == {"2025-05-09"}
    assert {c.url for c in doc.chunks} == {
        "https://www.landtag.nrw.de/portal/WWW/dokumentenarchiv/Dokument/MMD18-13987.pdf"}


ANTRAG = """LANDTAG NORDRHEIN-WESTFALEN
18. Wahlperiode

Drucksache 18/12000

14.01.2025

Antrag

der Fraktion der SPD

Jobcenter stärken

I. Ausgangslage

Die Jobcenter in Nordrhein-Westfalen betreuen rund 700.000 erwerbsfähige Leistungs-
berechtigte.

II. Beschlussfassung

Der Landtag fordert die Landesregierung auf, die Jobcenter zu unterstützen.
"""


def test_antrag_is_cut_at_its_roman_numeral_sections(tmp_path):
    path = tmp_path / "antrag.txt"
    path.write_text(ANTRAG, encoding="utf-8")
    doc = load(path)
    assert (doc.doc_type, doc.title) == ("Antrag", "Jobcenter stärken")
    assert [c.label for c in doc.chunks] == ["Antrag, Abschnitt I, Drs. 18/12000 vom 14.01.2025",
                                             "Antrag, Abschnitt II, Drs. 18/12000 vom 14.01.2025"]
    assert doc.chunks[0].text == ("Die Jobcenter in Nordrhein-Westfalen betreuen rund 700.000 erwerbsfähige "
                                  "Leistungsberechtigte.")


def test_text_without_landtag_structure_falls_back_to_landtagsdokument(tmp_path):
    path = tmp_path / "notiz.txt"
    path.write_text("Der Ausschuss für Arbeit hat am 3. Juli 2025 getagt.\n\n"
                    "Er hat den Bericht der Landesregierung zur Kenntnis genommen.\n", encoding="utf-8")
    doc = load(path)
    assert doc.doc_type == "Landtagsdokument"
    assert [c.label for c in doc.chunks] == ["Landtagsdokument"]
    assert doc.chunks[0].text == ("Der Ausschuss für Arbeit hat am 3. Juli 2025 getagt.\n\n"
                                  "Er hat den Bericht der Landesregierung zur Kenntnis genommen.")


def test_file_with_only_tracking_links_is_refused(tmp_path):
    path = tmp_path / "links.txt"
    path.write_text("https://www.bing.com/ck/a?!&&p=39132ed1770f83e1&ntb=1\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no citable text"):
        load(path)


@pytest.mark.parametrize("text, iso", [("30. Juni 2025", "2025-06-30"), ("9. Mai 2025", "2025-05-09"),
                                       ("30.06.2025", "2025-06-30"), ("31. Juni 2025", ""), ("Juni", "")])
def test_parse_german_date(text, iso):
    assert landtag.parse_german_date(text) == iso


PDFTOTEXT_PAGES = [
    "Der Minister für Arbeit, Gesundheit und Soziales hat die Kleine Anfrage 5591 mit Schreiben\n"
    "vom 30. Juni 2025 namens der Landesregierung beantwortet.\n\n"
    "1. Welche messbaren Zielgrößen wurden zu Beginn der Initiative definiert?\n\n"
    "Messbare Zielgrößen wurden nicht definiert. Viel-\nmehr wurden verschiedene Ansätze\n\n"
    "Seite 1 von 2\n",
    "Landtag Nordrhein-Westfalen - 2 - Drucksache 18/14567\n\n"
    "verfolgt und auf ihre Wirksamkeit überprüft.\n",
]


def test_form_feed_pages_of_a_text_file_lose_their_furniture(tmp_path):
    path = tmp_path / "pdftotext.txt"
    path.write_text("\f".join(PDFTOTEXT_PAGES), encoding="utf-8")
    doc = load(path)
    (chunk,) = by_label(doc, "Antwort auf Kleine Anfrage 5591, zu Frage 1, Drs. 18/14567 vom 30.06.2025")
    assert chunk.text.endswith("Messbare Zielgrößen wurden nicht definiert. Vielmehr wurden verschiedene "
                               "Ansätze verfolgt und auf ihre Wirksamkeit überprüft.")
    assert "Seite" not in doc.text and "Landtag Nordrhein-Westfalen" not in doc.text
    assert chunk.page_start is None
