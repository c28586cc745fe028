"""Answers as a draft for a document: Markdown and DOCX with a numbered German source list.

Each answer keeps its markers ``[1]``; below it, "Quellen" lists every cited source as a
numbered list in the usual German citation form (``citations.format_citation``) with the
supporting sentence and the link to the original (a real hyperlink in DOCX). Every other
word comes from the UI language's table (``i18n``). Sentences that verification could not back keep their
"(nicht belegt)" flag, so nobody copies them as cited. An abstention is exported as such,
with the nearest passages labelled as not answering the question.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from fundstelle.sentences import split_sentences, table_rows
from retrieval.answer import UNSUPPORTED, VERIFIED, Answer

from app_support.citations import (SourceRef, format_citation, from_citation, from_passage, german_date,
                                   kind_label, original_url)
from app_support.i18n import t
from app_support.render import clean_sentence, not_direct_label

NEAREST_IN_ABSTENTION = 3


@dataclass
class ExportSentence:
    text: str
    markers: list[int]
    unsupported: bool


def answer_sentences(answer: Answer) -> list[ExportSentence]:
    """The answer as sentences with their markers and flags (abstentions: the plain message)."""
    if not answer.sentences:
        return [ExportSentence(clean_sentence(answer.text), [], False)]
    out = []
    for check in answer.sentences:
        markers = list(dict.fromkeys(check.markers)) if check.status == VERIFIED else []
        out.append(ExportSentence(clean_sentence(check.text), markers, check.status == UNSUPPORTED))
    return out


def cited_refs(answer: Answer) -> list[SourceRef]:
    """The cited sources in marker order. Verification numbers them 1, 2, 3 … in order of
    first use, so a numbered list shows each marker's number."""
    return sorted((from_citation(c, answer) for c in answer.citations), key=lambda ref: ref.number or 0)


def supporting_sentence(ref: SourceRef) -> str:
    """The sentence of the passage that backs the answer (the whole passage when unknown); a
    row of a law table as the answer read it ("… mindestens 48 Monaten und nach Vollendung des
    58. Lebensjahres – 24 Monate", ``fundstelle.sentences.table_rows``), not as "48 | 58. | 24"."""
    if ref.support_span:
        start, end = ref.support_span
        quote = ref.text[start:end]
        if "|" in quote:
            for first, last in split_sentences(ref.text):
                if first <= start < last:
                    quote = next((reading for row_start, _, reading in table_rows(ref.text, first, last)
                                  if row_start == start), quote)
                    break
    else:
        quote = ref.text
    return " ".join(quote.split())


def mode_name(answer: Answer, lang: str = "de") -> str:
    """'extraktiv' / 'Sprachmodell (qwen2.5)' in the UI language."""
    name = t(f"mode_name_{answer.mode}", lang) if answer.mode in ("extractive", "llm") else answer.mode
    return name + (f" ({answer.model})" if answer.model else "")


def settings_line(answer: Answer, lang: str = "de") -> str:
    s = answer.settings or {}
    parts = [f"{t('export_mode', lang)}: {mode_name(answer, lang)}"]
    if s.get("kinds"):
        parts.append(f"{t('export_kinds', lang)}: " + ", ".join(kind_label(k, lang) for k in s["kinds"]))
    if s.get("laws"):
        parts.append(f"{t('export_laws', lang)}: " + ", ".join(s["laws"]))
    if s.get("documents"):
        parts.append(f"{t('export_documents', lang)}: " + ", ".join(s["documents"]))
    if s.get("as_of"):
        parts.append(t("export_as_of", lang, date=german_date(str(s["as_of"]))))
    if s.get("k"):
        parts.append(t("export_k", lang, k=s["k"]))
    return "; ".join(parts)


# -- Markdown -----------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|#~])")


def md_text(text: str) -> str:
    """Document text for a Markdown file: readable, but no link, image, HTML or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def to_markdown(answers: Sequence[Answer], *, lang: str = "de", created: datetime | None = None) -> str:
    """Markdown that reads the same in GitHub and Pandoc: plain ``[1]`` markers in the text
    (no link definitions, so they stay text) and the sources as a numbered list below."""
    created = created or datetime.now()
    lines = [f"# {t('export_title', lang)}", "", t("export_created", lang, date=created.strftime("%d.%m.%Y %H:%M")),
             "", f"> {t('export_notice', lang)}", ""]
    for index, answer in enumerate(answers, start=1):
        lines += [f"## {t('export_question', lang)} {index}: {md_text(answer.question)}", ""]
        if answer.abstained and not not_direct_label(answer, lang):
            lines += [t("abstain", lang), ""]
        else:
            body = []
            for sentence in answer_sentences(answer):
                text = md_text(sentence.text)
                if sentence.unsupported:
                    body.append(f"*{text}* ({t('unsupported', lang)})")
                elif sentence.markers:
                    body.append(text + " " + " ".join(f"[{n}]" for n in sentence.markers))
                else:
                    body.append(text)
            lines += [" ".join(body), ""]
        for notice in answer.notices:
            lines += [f"*{t('notice_prefix', lang)}: {md_text(notice)}*", ""]
        if answer.abstained:
            nearest = [from_passage(p) for p in answer.passages[:NEAREST_IN_ABSTENTION]]
            if nearest:
                lines += [f"**{t('export_nearest', lang)}**", ""]
                for ref in nearest:
                    lines.append(f"- {md_text(format_citation(ref))}" + _md_link(ref))
                lines.append("")
        else:
            refs = cited_refs(answer)
            if refs:
                lines += [f"### {t('export_sources', lang)}", ""]
                for ref in refs:
                    # A numbered list item; its number is the marker. The supporting sentence is a
                    # second line of the same item (indented to the item's text).
                    item = f"{ref.number}. "
                    lines.append(item + md_text(format_citation(ref)) + _md_link(ref) + "  ")
                    quote = md_text(supporting_sentence(ref))
                    lines.append(" " * len(item) + f"{t('export_support', lang)}: „{quote}“")
                lines.append("")
        lines += [f"*{t('export_settings', lang)}: {md_text(settings_line(answer, lang))}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_link(ref: SourceRef) -> str:
    url = original_url(ref)
    return f" – <{url}>" if url and not re.search(r"[\s<>]", url) else ""


# -- DOCX ---------------------------------------------------------------------------------
def to_docx(answers: Sequence[Answer], *, lang: str = "de", created: datetime | None = None) -> bytes:
    """A Word document: markers as superscript ``[1]``, the sources of each answer as a
    numbered list (restarting at 1) whose URLs are real hyperlinks."""
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt, RGBColor

    created = created or datetime.now()
    document = Document()
    document.core_properties.title = t("export_title", lang)
    document.core_properties.author = "Fundstelle"
    document.core_properties.language = lang
    document.add_heading(t("export_title", lang), level=1)
    document.add_paragraph(t("export_created", lang, date=created.strftime("%d.%m.%Y %H:%M")))
    notice = document.add_paragraph()
    notice.add_run(t("export_notice", lang)).italic = True
    for index, answer in enumerate(answers, start=1):
        document.add_heading(f"{t('export_question', lang)} {index}: {_xml_safe(answer.question)}", level=2)
        body = document.add_paragraph()
        if answer.abstained and not not_direct_label(answer, lang):
            body.add_run(t("abstain", lang))
        else:
            for sentence in answer_sentences(answer):
                run = body.add_run(_xml_safe(sentence.text))
                if sentence.unsupported:
                    run.italic = True
                    flag = body.add_run(f" ({t('unsupported', lang)})")
                    flag.font.color.rgb = RGBColor(0xB0, 0x3A, 0x00)
                    flag.font.highlight_color = WD_COLOR_INDEX.YELLOW
                for number in sentence.markers:
                    marker = body.add_run(f"[{number}]")
                    marker.font.superscript = True
                body.add_run(" ")
        for notice_text in answer.notices:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{t('notice_prefix', lang)}: {_xml_safe(notice_text)}").italic = True
        if answer.abstained:
            nearest = [from_passage(p) for p in answer.passages[:NEAREST_IN_ABSTENTION]]
            if nearest:
                document.add_heading(t("export_nearest", lang), level=3)
                for ref in nearest:
                    paragraph = document.add_paragraph(_xml_safe(format_citation(ref)), style="List Bullet")
                    _docx_link(paragraph, ref)
        else:
            refs = cited_refs(answer)
            if refs:
                document.add_heading(t("export_sources", lang), level=3)
                numbering = _restarted_numbering(document)
                for ref in refs:
                    paragraph = document.add_paragraph(_xml_safe(format_citation(ref)), style="List Number")
                    _set_numbering(paragraph, numbering)
                    _docx_link(paragraph, ref)
                    quote = _xml_safe(supporting_sentence(ref))
                    paragraph.add_run(f"\n{t('export_support', lang)}: „{quote}“").italic = True
        settings = document.add_paragraph()
        run = settings.add_run(f"{t('export_settings', lang)}: {_xml_safe(settings_line(answer, lang))}")
        run.font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_link(paragraph, ref: SourceRef) -> None:
    url = original_url(ref)
    if url:
        paragraph.add_run(" – ")
        add_hyperlink(paragraph, url, url)


def add_hyperlink(paragraph, url: str, text: str) -> None:
    """A clickable link: an external relationship of the document part plus a ``w:hyperlink``
    run (python-docx has no public call for it)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    colour = OxmlElement("w:color")
    colour.set(qn("w:val"), "0563C1")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(colour)
    props.append(underline)
    run.append(props)
    body = OxmlElement("w:t")
    body.text = _xml_safe(text)
    body.set(qn("xml:space"), "preserve")
    run.append(body)
    link.append(run)
    paragraph._p.append(link)


def _restarted_numbering(document) -> int:
    """A new numbering instance of the "List Number" style that starts again at 1, so each
    answer's source list matches its markers."""
    numbering = document.part.numbering_part.element
    style_num = document.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


def _set_numbering(paragraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    # Word XML cannot hold control characters; a stray one from a PDF must not break the export.
    return _XML_INVALID.sub("", str(text))


def export_filename(answers: Sequence[Answer], extension: str, created: datetime | None = None) -> str:
    created = created or datetime.now()
    first = answers[0].question if answers else "antworten"
    slug = re.sub(r"[^a-z0-9]+", "-", first.lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue",
                                                                             "ß": "ss"})))[:40].strip("-")
    return f"fundstelle-{created:%Y%m%d-%H%M}-{slug or 'antwort'}.{extension}"
