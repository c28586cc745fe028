"""Loader for method descriptions and glossaries of the Statistik der Bundesagentur für Arbeit.

Two shapes of document, as PDF or HTML page:

* glossaries ("Glossar der Statistik der BA"): one unit per entry, label
  ``BA-Statistik, Glossar: Arbeitslose``, locator ``{"glossar": "Arbeitslose"}``,
  doc_type "Glossar";
* method descriptions ("Methodische Hinweise", Methodenberichte): one unit per
  (numbered) section, label ``BA-Statistik, Methodische Hinweise Grundsicherung,
  Abschnitt 1.1 Zählkonzept``, locator ``{"section": "1.1"}``, doc_type "Methodenbericht".

In PDFs, headings are found by font: a line set entirely in a bold font at least as large
as the body text. In a glossary the entry headings are the bold lines of the most common
heading size; larger bold lines (alphabet letters, the title) only end the entry before
them. Running headers, footers and page numbers are removed before units are cut, so an
entry that runs across a page break is one unit with its real first and last page. HTML
pages are read with ``generic.parse_html`` (h1-h6 structure, navigation and scripts
dropped). The Stand comes from "Stand: 14.03.2025" in the document unless the catalogue
gives one. Text and Markdown files, and documents in which no entry or section heading is
found, are handed to the generic loader.
"""
from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fundstelle.settings import Settings
from index.chunk import LoadedDocument
from ingest.loaders import generic
from ingest.loaders.base import SourceInfo, file_sha256
from ingest.loaders.generic import DocumentText, Section
from ingest.pdf import StyledLine, read_pages, styled_lines

log = logging.getLogger(__name__)

PREFIX = "BA-Statistik"
GLOSSARY = "Glossar"
METHOD_REPORT = "Methodenbericht"

_SECTION_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(\S.*)$")
_NOT_A_UNIT = re.compile(r"^(inhalt|inhaltsverzeichnis|abbildungsverzeichnis|tabellenverzeichnis|impressum)$",
                         re.IGNORECASE)
_SITE_NAME = re.compile(r"statistik der (bundesagentur|ba)\b|arbeitsagentur", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Titles


def short_title(title: str) -> str:
    """The document's own title without a site or publisher suffix:
    "Methodische Hinweise Grundsicherung - Statistik der Bundesagentur für Arbeit"
    -> "Methodische Hinweise Grundsicherung"."""
    parts = [part.strip() for part in re.split(r"\s+[-–|]\s+", title) if part.strip()]
    kept = [part for part in parts if not _SITE_NAME.search(part)]
    return " - ".join(kept) if kept else title.strip()


def _is_glossary(*texts: str) -> bool:
    return any(GLOSSARY.lower() in text.lower() for text in texts if text)


def _glossary_label(heading: str) -> tuple[str, dict[str, str]]:
    return f"{PREFIX}, Glossar: {heading}", {"glossar": heading}


def _section_label(short: str, heading: str) -> tuple[str, dict[str, str]]:
    match = _SECTION_NUMBER.match(heading)
    if match:
        number, name = match.groups()
        return f"{PREFIX}, {short}, Abschnitt {number} {name}", {"section": number}
    return f"{PREFIX}, {short}, {heading}", {"section": heading}


def _is_letter_heading(heading: str) -> bool:
    """Alphabet headings of a glossary ("A", "Ä", "A-B") are not entries."""
    return len(re.sub(r"[\W\d_]", "", heading)) <= 2


# ---------------------------------------------------------------------------------------
# PDF: headings and units from the styled lines (``ingest.pdf.styled_lines``)


@dataclass
class _Group:
    """A heading and the lines below it; ``unit`` False for text that is only context
    (title page, alphabet letters, table of contents)."""

    heading: str | None
    heading_page: int
    unit: bool
    heading_size: float = 0.0
    lines: list[tuple[int, str]] = field(default_factory=list)


def _read_pdf(path: Path) -> tuple[list[list[StyledLine]], list[str], object]:
    return read_pages(path, styled_lines, lambda number: [], lambda lines: "".join(line.text for line in lines))


def _without_furniture(pages: list[list[StyledLine]]) -> list[list[StyledLine]]:
    """Drop running headers, footers and page numbers (see generic.furniture_lines)."""
    drops = generic.furniture_lines([[line.text for line in lines] for lines in pages])
    return [[line for i, line in enumerate(lines) if i not in drop] for lines, drop in zip(pages, drops)]


def _heading_candidate(line: StyledLine, body_size: float) -> bool:
    text = " ".join(line.text.split())
    return (line.bold and 0 < len(text) <= 120 and line.size >= body_size - 0.5
            and not text.endswith((".", ",", ";", ":")) and "...." not in text and any(c.isalpha() for c in text))


def _paragraph_gap(lines: list[StyledLine], headings: set[int]) -> float:
    """Vertical distance between body lines above which a new paragraph begins: PDFs have
    no blank lines, but paragraphs are set with extra space between them."""
    gaps = sorted(round(a.y - b.y, 1) for a, b in zip(lines, lines[1:])
                  if a.page == b.page and None not in (a.y, b.y) and id(a) not in headings
                  and id(b) not in headings and a.y > b.y)
    if not gaps:
        return math.inf
    return gaps[len(gaps) // 4] * 1.3     # a low quartile is the plain line spacing


def _groups(pages: list[list[StyledLine]], glossary: bool, title: str) -> list[_Group]:
    """Cut the lines into heading groups (entries or sections)."""
    lines = [line for page in pages for line in page if line.text.strip()]
    sizes: Counter[float] = Counter()
    for line in lines:
        if not line.bold and line.size:
            sizes[line.size] += len(line.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 0.0
    candidates = [line for line in lines if _heading_candidate(line, body_size)]
    entry_size = None
    if glossary:
        entry_sizes = Counter(line.size for line in candidates if not _is_letter_heading(line.text))
        entry_size = entry_sizes.most_common(1)[0][0] if entry_sizes else None
    candidate_ids = {id(line) for line in candidates}
    paragraph_gap = _paragraph_gap(lines, candidate_ids)
    first_page = lines[0].page if lines else 1
    groups = [_Group(None, first_page, False)]
    previous_line: StyledLine | None = None
    for line in lines:
        text = " ".join(line.text.split())
        if id(line) not in candidate_ids:
            if (previous_line and previous_line.page == line.page and None not in (previous_line.y, line.y)
                    and previous_line.y - line.y > paragraph_gap):
                groups[-1].lines.append((line.page, ""))      # blank line: paragraph break
            groups[-1].lines.append((line.page, line.text))
            previous_line = line
            continue
        previous_line = None
        previous = groups[-1]
        # A heading wrapped onto a second line continues the one above.
        if (previous.heading and not previous.lines and abs(previous.heading_size - line.size) < 0.6
                and (text[:1].islower() or previous.heading.endswith("-"))):
            previous.heading = generic.flow_lines([previous.heading, text], short_line_ends_paragraph=False)
            continue
        if glossary:
            unit = (entry_size is not None and abs(line.size - entry_size) < 0.6 and not _is_letter_heading(text))
        else:
            unit = text != title and not _NOT_A_UNIT.match(text)
        groups.append(_Group(text, line.page, unit, line.size))
    return groups


def _pdf_title(source: SourceInfo, reader, pages: list[list[StyledLine]]) -> str:
    if source.title:
        return source.title
    title = generic.pdf_metadata_title(reader)
    if title:
        return title
    first = next((lines for lines in pages if lines), [])
    largest = max(first, key=lambda line: line.size, default=None)
    text = " ".join(largest.text.split()) if largest else ""
    return text if 0 < len(text) <= 150 else source.path.stem


def _load_pdf(source: SourceInfo, settings: Settings) -> LoadedDocument:
    path = source.path
    raw_pages, warnings, reader = _read_pdf(path)
    pages = _without_furniture(raw_pages)
    title = _pdf_title(source, reader, raw_pages)
    first_page_text = "\n".join(line.text for lines in raw_pages[:2] for line in lines)
    # The title page says "Glossar"; a method report may list a glossary in its contents.
    cover = [line.text for line in next((lines for lines in raw_pages if lines), []) if line.text.strip()][:8]
    glossary = _is_glossary(title, *cover)
    doc_type = GLOSSARY if glossary else METHOD_REPORT
    short = short_title(title)
    kind = source.kind or "ba"
    stand, stand_date = generic.stand_of(source, first_page_text)

    doc = DocumentText(paged=True)
    units = 0
    for group in _groups(pages, glossary, title):
        if group.heading:
            doc.add(group.heading, [(group.heading_page, 0)])
        if not group.lines:
            continue
        body, page_starts = generic.clean_lines_with_pages(group.lines)
        if not (group.unit and group.heading and body):
            doc.add(body, page_starts)
            continue
        label, locator = _glossary_label(group.heading) if glossary else _section_label(short, group.heading)
        doc.add_unit(body, page_starts, url=source.url or "", doc_id=source.doc_id, kind=kind, doc_type=doc_type,
                     title=title, label=label, locator=locator, stand=stand, stand_date=stand_date)
        units += 1
    doc.mark_page(len(raw_pages))
    return LoadedDocument(doc_id=source.doc_id, path=str(path), kind=kind, doc_type=doc_type, title=title,
                          sha256=file_sha256(path), text=doc.text, chunks=doc.chunks(settings.max_chunk_chars),
                          pages=len(raw_pages), meta={"loader": "ba_statistik", "format": "pdf", "units": units},
                          warnings=warnings)


# ---------------------------------------------------------------------------------------
# HTML


def _load_html(source: SourceInfo, settings: Settings) -> LoadedDocument:
    from ingest.textutil import read_text_file

    path = source.path
    markup, warnings = read_text_file(path)
    generic.reject_binary(path, markup)
    content = generic.parse_html(markup)
    top = generic.enclosing_heading(content.sections)
    title = source.title or top or short_title(content.title) or path.stem
    short = short_title(title)
    glossary = _is_glossary(title)
    doc_type = GLOSSARY if glossary else METHOD_REPORT
    kind = source.kind or "ba"
    main_text = "\n".join(s.text for s in content.sections)
    stand, stand_date = generic.stand_of(source, main_text)
    if not stand and not source.stand:
        stand, stand_date = generic.find_stand(content.page_text)

    def fields(section: Section, number: int) -> dict | None:
        path_below_title = section.headings[1:] if top and section.headings[:1] == (top,) else section.headings
        if not path_below_title:
            # Text under the page title only (introduction): cite the page itself.
            label, locator = f"{PREFIX}, {short}", {"section": "0"}
        elif glossary:
            heading = path_below_title[-1]
            if _is_letter_heading(heading):
                return None
            label, locator = _glossary_label(heading)
        else:
            if _NOT_A_UNIT.match(path_below_title[-1]):
                return None
            label, locator = _section_label(short, path_below_title[-1])
        return dict(url=generic.section_url(source.url, section), doc_id=source.doc_id, kind=kind,
                    doc_type=doc_type, title=title, label=label, locator=locator, stand=stand,
                    stand_date=stand_date)

    doc = DocumentText()
    generic.add_sections(doc, content.sections, fields)
    chunks = doc.chunks(settings.max_chunk_chars)
    return LoadedDocument(doc_id=source.doc_id, path=str(path), kind=kind, doc_type=doc_type, title=title,
                          sha256=file_sha256(path), text=doc.text, chunks=chunks, pages=0,
                          meta={"loader": "ba_statistik", "format": "html", "units": len(chunks)},
                          warnings=warnings)


# ---------------------------------------------------------------------------------------


def load(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Load a BA statistics glossary or method description (PDF or HTML).

    Other file types, and documents in which no entry or section is found, go to the
    generic loader (with a warning saying so).
    """
    ext = source.path.suffix.lower()
    if ext == ".pdf":
        document = _load_pdf(source, settings)
    elif ext in generic.HTML_EXTENSIONS:
        document = _load_html(source, settings)
    else:
        return generic.load(source, settings)
    if document.chunks:
        return document
    fallback = generic.load(source, settings)
    fallback.warnings.append("no glossary entries or sections found; loaded page by page / as plain sections")
    return fallback
