"""Answers as a draft for a document: Markdown and DOCX with a numbered German source list.

Each answer keeps its markers ``[1]``; below it, "Quellen" lists every cited source in the
usual German citation form (``citations.format_citation``) with the supporting sentence and
the link to the original. Sentences that verification could not back keep their
"(nicht belegt)" flag, so nobody copies them as cited. An abstention is exported as such,
with the nearest passages labelled as not answering the question.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from retrieval.answer import UNSUPPORTED, VERIFIED, Answer

from app_support.citations import SourceRef, format_citation, from_citation, from_passage, original_url
from app_support.render import clean_sentence, not_direct_label

NEAREST_IN_ABSTENTION = 3

_TEXTS = {
    "de": {"title": "Fundstelle – Antworten mit Quellen", "created": "Erstellt am {date} mit Fundstelle.",
           "notice": "Keine Rechtsberatung: Jede Aussage ist an der angegebenen Quelle zu prüfen.",
           "question": "Frage", "answer": "Antwort", "sources": "Quellen", "support": "Belegstelle",
           "unsupported": "nicht belegt", "nearest": "Nächste Fundstellen (beantworten die Frage nicht)",
           "abstain": "Dazu enthalten die Quellen keine Angabe.", "notices": "Hinweis",
           "settings": "Einstellungen"},
    "en": {"title": "Fundstelle – answers with sources", "created": "Created on {date} with Fundstelle.",
           "notice": "Not legal advice: check every statement against the source given.",
           "question": "Question", "answer": "Answer", "sources": "Sources (German citation form)",
           "support": "Supporting passage", "unsupported": "nicht belegt",
           "nearest": "Nearest passages (they do not answer the question)",
           "abstain": "The sources do not contain information on this.", "notices": "Note",
           "settings": "Settings"},
}


@dataclass
class ExportSentence:
    text: str
    markers: list[int]
    unsupported: bool


def _texts(lang: str) -> dict[str, str]:
    return _TEXTS.get(lang, _TEXTS["de"])


def answer_sentences(answer: Answer) -> list[ExportSentence]:
    """The answer as sentences with their markers and flags (abstentions: the plain message)."""
    if not answer.sentences:
        return [ExportSentence(clean_sentence(answer.text), [], False)]
    out = []
    for check in answer.sentences:
        markers = list(dict.fromkeys(check.markers)) if check.status == VERIFIED else []
        out.append(ExportSentence(clean_sentence(check.text), markers, check.status == UNSUPPORTED))
    return out


def supporting_sentence(ref: SourceRef) -> str:
    """The sentence of the passage that backs the answer (the whole passage when unknown)."""
    if ref.support_span:
        start, end = ref.support_span
        quote = ref.text[start:end]
    else:
        quote = ref.text
    return " ".join(quote.split())


def settings_line(answer: Answer) -> str:
    s = answer.settings or {}
    parts = [f"Modus: {answer.mode}" + (f" ({answer.model})" if answer.model else "")]
    if s.get("kinds"):
        parts.append("Quellenarten: " + ", ".join(s["kinds"]))
    if s.get("laws"):
        parts.append("Gesetze: " + ", ".join(s["laws"]))
    if s.get("documents"):
        parts.append("Dokumente: " + ", ".join(s["documents"]))
    if s.get("as_of"):
        parts.append(f"Rechtsstand am {s['as_of']}")
    if s.get("k"):
        parts.append(f"{s['k']} Passagen")
    return "; ".join(parts)


# -- Markdown -----------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!|#~])")


def md_text(text: str) -> str:
    """Document text for a Markdown file: readable, but no link, image, HTML or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def to_markdown(answers: Sequence[Answer], *, lang: str = "de", created: datetime | None = None) -> str:
    tx = _texts(lang)
    created = created or datetime.now()
    lines = [f"# {tx['title']}", "", tx["created"].format(date=created.strftime("%d.%m.%Y %H:%M")), "",
             f"> {tx['notice']}", ""]
    for index, answer in enumerate(answers, start=1):
        lines += [f"## {tx['question']} {index}: {md_text(answer.question)}", ""]
        if answer.abstained and not not_direct_label(answer, lang):
            lines += [tx["abstain"], ""]
        else:
            body = []
            for sentence in answer_sentences(answer):
                text = md_text(sentence.text)
                if sentence.unsupported:
                    body.append(f"*{text}* ({tx['unsupported']})")
                elif sentence.markers:
                    body.append(text + " " + "".join(f"\\[{n}\\]" for n in sentence.markers))
                else:
                    body.append(text)
            lines += [" ".join(body), ""]
        for notice in answer.notices:
            lines += [f"*{tx['notices']}: {md_text(notice)}*", ""]
        if answer.abstained:
            nearest = [from_passage(p) for p in answer.passages[:NEAREST_IN_ABSTENTION]]
            if nearest:
                lines += [f"**{tx['nearest']}**", ""]
                for ref in nearest:
                    lines.append(f"- {md_text(format_citation(ref))}" + _md_link(ref))
                lines.append("")
        else:
            refs = [from_citation(c, answer) for c in answer.citations]
            if refs:
                lines += [f"### {tx['sources']}", ""]
                for ref in refs:
                    lines.append(f"\\[{ref.number}\\] {md_text(format_citation(ref))}" + _md_link(ref))
                    lines.append(f"    {tx['support']}: „{md_text(supporting_sentence(ref))}“")
                    lines.append("")
        lines += [f"*{tx['settings']}: {md_text(settings_line(answer))}*", ""]
    return "\n".join(lines).rstrip() + "\n"


def _md_link(ref: SourceRef) -> str:
    url = original_url(ref)
    return f" – <{url}>" if url and not re.search(r"[\s<>]", url) else ""


# -- DOCX ---------------------------------------------------------------------------------
def to_docx(answers: Sequence[Answer], *, lang: str = "de", created: datetime | None = None) -> bytes:
    from docx import Document
    from docx.enum.text import WD_COLOR_INDEX
    from docx.shared import Pt, RGBColor

    tx = _texts(lang)
    created = created or datetime.now()
    document = Document()
    document.core_properties.title = tx["title"]
    document.core_properties.author = "Fundstelle"
    document.add_heading(tx["title"], level=1)
    document.add_paragraph(tx["created"].format(date=created.strftime("%d.%m.%Y %H:%M")))
    notice = document.add_paragraph()
    notice.add_run(tx["notice"]).italic = True
    for index, answer in enumerate(answers, start=1):
        document.add_heading(f"{tx['question']} {index}: {_xml_safe(answer.question)}", level=2)
        body = document.add_paragraph()
        if answer.abstained and not not_direct_label(answer, lang):
            body.add_run(tx["abstain"])
        else:
            for sentence in answer_sentences(answer):
                run = body.add_run(_xml_safe(sentence.text))
                if sentence.unsupported:
                    run.italic = True
                    flag = body.add_run(f" ({tx['unsupported']})")
                    flag.font.color.rgb = RGBColor(0xB0, 0x3A, 0x00)
                    flag.font.highlight_color = WD_COLOR_INDEX.YELLOW
                for number in sentence.markers:
                    marker = body.add_run(f"[{number}]")
                    marker.font.superscript = True
                body.add_run(" ")
        for notice_text in answer.notices:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{tx['notices']}: {_xml_safe(notice_text)}").italic = True
        if answer.abstained:
            nearest = [from_passage(p) for p in answer.passages[:NEAREST_IN_ABSTENTION]]
            if nearest:
                document.add_heading(tx["nearest"], level=3)
                for ref in nearest:
                    document.add_paragraph(_xml_safe(format_citation(ref)) + _docx_link(ref), style="List Bullet")
        else:
            refs = [from_citation(c, answer) for c in answer.citations]
            if refs:
                document.add_heading(tx["sources"], level=3)
                for ref in refs:
                    paragraph = document.add_paragraph()
                    paragraph.add_run(f"[{ref.number}] ").bold = True
                    paragraph.add_run(_xml_safe(format_citation(ref)) + _docx_link(ref))
                    quote = document.add_paragraph()
                    quote.paragraph_format.left_indent = Pt(18)
                    quote.add_run(f"{tx['support']}: „{_xml_safe(supporting_sentence(ref))}“").italic = True
        settings = document.add_paragraph()
        run = settings.add_run(f"{tx['settings']}: {_xml_safe(settings_line(answer))}")
        run.font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_link(ref: SourceRef) -> str:
    url = original_url(ref)
    return f" – {url}" if url else ""


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
