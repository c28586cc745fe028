"""Markdown and DOCX exports: answer with markers, numbered German source list, flags kept."""
from __future__ import annotations

import io
from datetime import datetime

from docx import Document

from app_support.export import export_filename, to_docx, to_markdown
from tests.app.answers import KA_SENTENCE, SGB_SENTENCE, abstained_answer, initiative_answer

WHEN = datetime(2026, 5, 4, 9, 30)


def docx_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_markdown_has_answer_with_markers_and_numbered_sources():
    text = to_markdown([initiative_answer()], created=WHEN)
    assert f"{KA_SENTENCE} \\[1\\] {SGB_SENTENCE} \\[2\\]" in text
    assert "\\[1\\] Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025) – <https://www.landtag.nrw.de/" in text
    assert "\\[2\\] § 18 Abs. 1 SGB III (Stand: 22.04.2026; zuletzt geändert durch Art. 2 G v. 16.4.2026 I Nr. 107)" in text


def test_markdown_quotes_the_supporting_sentence():
    assert f"Belegstelle: „{KA_SENTENCE}“" in to_markdown([initiative_answer()], created=WHEN)


def test_markdown_keeps_the_unsupported_flag():
    assert "*Die Initiative hat ihre Ziele vollständig erreicht.* (nicht belegt)" in to_markdown([initiative_answer()])


def test_markdown_abstention_lists_nearest_passages_as_not_answering():
    text = to_markdown([abstained_answer()])
    assert "Dazu enthalten die Quellen keine Angabe." in text
    assert "**Nächste Fundstellen (beantworten die Frage nicht)**" in text
    assert "- § 18 Abs. 1 SGB III" in text


def test_markdown_of_several_answers_numbers_the_questions():
    text = to_markdown([initiative_answer(), abstained_answer()])
    assert "## Frage 1: Welche Ziele hat die NRW-Initiative" in text
    assert "## Frage 2: Wie hoch ist die Hundesteuer in Köln?" in text


def test_markdown_escapes_links_in_document_text():
    answer = initiative_answer()
    answer.question = "Was steht in [hier](https://evil.example)?"
    assert "\\[hier\\](https://evil.example)" in to_markdown([answer])


def test_docx_opens_and_holds_answer_and_german_citations():
    paragraphs = docx_paragraphs(to_docx([initiative_answer()], created=WHEN))
    assert "Frage 1: Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?" in paragraphs
    assert any(p.startswith(f"{KA_SENTENCE}[1] {SGB_SENTENCE}[2]") for p in paragraphs)
    assert "[1] Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025) – https://www.landtag.nrw.de/home/" \
           "dokumente/dokumentensuche/anfragen-und-antworten-suchergeb.html?nummer=5591&doktyp=KA&wp=18" in paragraphs
    assert f"Belegstelle: „{KA_SENTENCE}“" in paragraphs


def test_docx_markers_are_superscript():
    document = Document(io.BytesIO(to_docx([initiative_answer()])))
    markers = [run for p in document.paragraphs for run in p.runs if run.text == "[1]"]
    assert markers and all(run.font.superscript for run in markers)


def test_docx_flags_unsupported_sentence():
    paragraphs = docx_paragraphs(to_docx([initiative_answer()]))
    assert any("Die Initiative hat ihre Ziele vollständig erreicht. (nicht belegt)" in p for p in paragraphs)


def test_docx_survives_control_characters_from_a_pdf():
    answer = initiative_answer()
    answer.citations[0].passage = answer.citations[0].passage.replace("Messbare", "Mess\x0cbare\x00")
    answer.citations[0].support_span = None
    assert any("Messbare" in p for p in docx_paragraphs(to_docx([answer])))


def test_export_filename_is_dated_and_ascii():
    assert export_filename([initiative_answer()], "docx", WHEN) == (
        "fundstelle-20260504-0930-welche-ziele-hat-die-nrw-initiative-zur.docx")
