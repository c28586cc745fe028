"""Markdown and DOCX exports: answer with markers, numbered German source list, flags kept,
real hyperlinks in DOCX, plain [1] markers in Markdown, every word in the UI language."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime

import pytest

import markdown_it
from docx.oxml.ns import qn

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE

from app_support.export import export_filename, to_docx, to_markdown
from tests.app.answers import KA_SENTENCE, KA_URL, SGB_SENTENCE, abstained_answer, initiative_answer
from tests.app.ui_strings import foreign_strings

WHEN = datetime(2026, 5, 4, 9, 30)


def docx_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def test_markdown_has_answer_with_plain_markers_and_numbered_sources():
    text = to_markdown([initiative_answer()], created=WHEN)
    assert f"{KA_SENTENCE} [1] {SGB_SENTENCE} [2]" in text
    assert "1. Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025) – <https://www.landtag.nrw.de/" in text
    assert "2. § 18 Abs. 1 SGB III (Stand: 22.04.2026; zuletzt geändert durch Art. 2 G v. 16.4.2026 I Nr. 107)" in text


def test_markdown_markers_carry_no_backslashes_and_define_no_links():
    text = to_markdown([initiative_answer()], created=WHEN)
    assert "[1]" in text and "\\[1\\]" not in text and "\\[2\\]" not in text
    assert not re.search(r"^\s*\[\d+\]:", text, re.M), "a [1]: line would be a hidden link definition"


def test_markdown_source_list_renders_as_an_ordered_list_in_commonmark():
    html = markdown_it.MarkdownIt("commonmark").render(to_markdown([initiative_answer()], created=WHEN))
    sources = html.split("Quellen</h3>")[1]
    assert sources.lstrip().startswith("<ol>") and sources.count("<li>") == 2
    assert "Belegstelle: „" in sources.split("</li>")[0], "the supporting sentence belongs to its item"
    assert '<a href="https://www.landtag.nrw.de/' in sources
    assert "[1]" in html.split("Quellen</h3>")[0]


@pytest.mark.parametrize("reader", ["markdown", "gfm"])   # Pandoc's own Markdown and GitHub's
def test_markdown_renders_markers_and_numbered_sources_in_pandoc(reader):
    assert shutil.which("pandoc"), "Pandoc is missing: run scripts/ensure-pandoc.sh"
    html = subprocess.run(["pandoc", "-f", reader, "-t", "html", "--wrap=none"], check=True, capture_output=True,
                          text=True, timeout=60, input=to_markdown([initiative_answer()], created=WHEN)).stdout
    body, sources = re.split(r"<h3[^>]*>Quellen</h3>", html)
    assert f"{KA_SENTENCE} [1] {SGB_SENTENCE} [2]" in body
    items = re.findall(r"<li>(.*?)</li>", sources.split("</ol>")[0], re.S)
    assert re.match(r"\s*<ol\b", sources) and len(items) == 2
    assert items[0].startswith("Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025) – <a href=")
    assert items[1].startswith("§ 18 Abs. 1 SGB III") and '<a href="https://www.gesetze-im-internet.de/' in items[1]


def test_markdown_quotes_the_supporting_sentence():
    assert f"Belegstelle: „{KA_SENTENCE}“" in to_markdown([initiative_answer()], created=WHEN)


def test_a_quoted_table_row_is_exported_as_the_answer_read_it():
    from app_support.citations import from_citation
    from app_support.export import supporting_sentence
    from retrieval.answer import Passage
    from tests.app.answers import citation_for, sgb3_passage

    table = ("(2) Die Dauer des Anspruchs auf Arbeitslosengeld beträgt\n"
             "nach mindestens … Monaten | und nach Vollendung des … Lebensjahres | … Monate\n12 | | 6\n48 | 58. | 24")
    passage = Passage(**{**vars(sgb3_passage()), "text": table, "label": "§ 147 Abs. 2 SGB III"})
    ref = from_citation(citation_for(passage, 1, "48 | 58. | 24"))
    assert supporting_sentence(ref) == ("Die Dauer des Anspruchs auf Arbeitslosengeld beträgt nach mindestens 48 Monaten "
                                        "und nach Vollendung des 58. Lebensjahres – 24 Monate")


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
    assert (f"Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025) – {KA_URL}\n"
            f"Belegstelle: „{KA_SENTENCE}“") in paragraphs


def test_docx_source_urls_are_hyperlink_relationships():
    document = Document(io.BytesIO(to_docx([initiative_answer()], created=WHEN)))
    links = {rel.target_ref for rel in document.part.rels.values()
             if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK and rel.is_external}
    assert links == {KA_URL, "https://www.gesetze-im-internet.de/sgb_3/__18.html"}
    shown = [link.url for p in document.paragraphs for link in p.hyperlinks]
    assert shown == [KA_URL, "https://www.gesetze-im-internet.de/sgb_3/__18.html"]


def test_docx_sources_are_a_numbered_list_restarting_for_each_answer():
    document = Document(io.BytesIO(to_docx([initiative_answer(), initiative_answer()], created=WHEN)))
    items = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert len(items) == 4
    num_ids = [p._p.pPr.numPr.numId.val for p in items]
    assert num_ids[0] == num_ids[1] and num_ids[2] == num_ids[3] and num_ids[0] != num_ids[2]
    numbering = document.part.numbering_part.element
    for num_id in (num_ids[0], num_ids[2]):
        overrides = numbering.num_having_numId(num_id).findall(qn("w:lvlOverride"))
        assert overrides[0].find(qn("w:startOverride")).get(qn("w:val")) == "1"


def test_english_export_has_no_german_interface_word():
    for text in (to_markdown([initiative_answer()], lang="en", created=WHEN),
                 "\n".join(docx_paragraphs(to_docx([initiative_answer()], lang="en", created=WHEN)))):
        assert "Modus" not in text and "extractive" in text and "Frage 1" not in text
        assert "Sources (German citation form)" in text and "Supporting passage: „" in text
        assert foreign_strings(text, "en") == []


def test_german_export_has_no_english_interface_word():
    text = to_markdown([initiative_answer()], created=WHEN)
    assert "Modus: extraktiv" in text and "extractive" not in text and "8 Passagen" in text
    assert foreign_strings(text, "de") == []


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
