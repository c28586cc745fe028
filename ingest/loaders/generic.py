"""Loader for any PDF, plain-text, Markdown or HTML file that no specialised loader claims.

Units are what a reader can find again in the file:

* PDF: one unit per page, label ``<title>, S. 3`` (page furniture such as running
  headers and page numbers removed, paragraphs re-flowed);
* Markdown, HTML and text with headings: one unit per heading section, label
  ``<title>, <heading path>`` (``Merkblatt, 2 Leistungen › 2.1 Regelbedarf``);
* text without headings: pieces of about ``max_chunk_chars``, label ``<title>, Abschnitt n``.

Units longer than ``settings.max_chunk_chars`` become parts with the same label
(``base.unit_chunks``). The title is ``SourceInfo.title``, else the PDF's metadata title,
else the first heading when it encloses the whole document (for HTML: then ``<title>``),
else the file stem.

HTML and Markdown are treated as data: scripts, styles, navigation and tags never reach
chunk text. ``langchain_text_splitters.HTMLHeaderTextSplitter`` is not used for HTML
because it moves the text of inline elements (links, emphasis) behind the rest of their
paragraph and keeps script contents; HTML is walked with BeautifulSoup instead
(``parse_html``, also used by the BA statistics loader). Markdown is split with
``MarkdownHeaderTextSplitter``, text without headings with ``RecursiveCharacterTextSplitter``;
their outputs are cleaned here and the document text is assembled from the cleaned
pieces, so spans never depend on splitter metadata.
"""
from __future__ import annotations

import html as html_lib
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fundstelle.settings import Settings
from index.chunk import Chunk, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.base import PageMap, SourceInfo, file_sha256, unit_chunks
from ingest.textutil import normalise_whitespace, read_text_file, repair_hyphenation, split_long

log = logging.getLogger(__name__)

DOC_TYPE = "Dokument"
HEADING_SEPARATOR = " › "
HTML_EXTENSIONS = {".html", ".htm"}
MARKDOWN_EXTENSIONS = {".md", ".markdown"}


# ---------------------------------------------------------------------------------------
# Building the document text


@dataclass
class Section:
    """A heading section (or headless piece) of a document, with cleaned text.

    ``headings`` is the path of headings above the text, outermost first; ``anchor`` is
    an HTML id to link to.
    """

    headings: tuple[str, ...]
    text: str
    anchor: str = ""


class DocumentText:
    """Assembles a document's full text from pieces; records citable units and pages.

    Pieces are separated by a blank line; ``add`` returns the piece's span, so that
    ``text[start:end] == piece`` holds by construction. ``chunks`` cuts the recorded
    units with ``base.unit_chunks`` once the text is complete.
    """

    def __init__(self, *, paged: bool = False) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._units: list[tuple[int, int, dict]] = []
        self.paged = paged
        self.pages = PageMap()

    @property
    def next_offset(self) -> int:
        """Offset at which the next added piece will start."""
        return self._length + (2 if self._length else 0)

    def add(self, piece: str, page_starts: list[tuple[int, int]] | None = None) -> tuple[int, int]:
        """Append ``piece`` (context only, not a unit); ``page_starts`` are (page number,
        offset inside the piece) where pages begin inside it."""
        if not piece:
            return (self._length, self._length)
        start = self.next_offset
        for page, relative in page_starts or ():
            self.mark_page(page, start + relative)
        if self._length:
            self._parts.append("\n\n")
        self._parts.append(piece)
        self._length = start + len(piece)
        return (start, self._length)

    def add_unit(self, piece: str, page_starts: list[tuple[int, int]] | None = None, **fields) -> tuple[int, int]:
        """Append ``piece`` as a citable unit; ``fields`` are the Chunk fields besides
        text, span, pages and parts (label, locator, url, ...)."""
        span = self.add(piece, page_starts)
        if span[1] > span[0]:
            self._units.append((span[0], span[1], fields))
        return span

    def mark_page(self, page: int, offset: int | None = None) -> None:
        """Record that ``page`` (1-based) starts at ``offset`` (default: the next piece).

        Pages skipped since the last mark (pages without text) start at the same offset,
        so offsets map to the later page, the one the text is really on.
        """
        offset = self.next_offset if offset is None else offset
        while len(self.pages) < page:
            self.pages.add_page(offset)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def chunks(self, max_chars: int) -> list[Chunk]:
        """The chunks of all units (long units split into parts with the same label)."""
        text = self.text
        chunks: list[Chunk] = []
        for start, end, fields in self._units:
            chunks += unit_chunks(text, start, end, max_chars=max_chars, pages=self.pages if self.paged else None,
                                  **fields)
        return chunks


# ---------------------------------------------------------------------------------------
# Text clean-up

# Lines that keep their own line when lines are re-flowed: bullets and table rows always,
# dashes and numbers ("- ", "2. ", "b) ") only after a line that ends a sentence or is a
# list item itself (a date like "24. Dezember" can start a wrapped line too).
_BULLET = re.compile(r"[•▪·◦■□➢►]\s|\|")
_MARKER = re.compile(r"(?:[-–*+]|\d{1,3}[.)]|[a-z][.)])\s")
_SENTENCE_END = (".", "!", "?", ":")
_RULE_LINE = re.compile(r"^\s*([-=_*~·.])(\s*\1){2,}\s*$")


def _join_paragraph(lines: list[str]) -> str:
    """Lines of one paragraph -> one line (list items and table rows keep their lines)."""
    text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
    text = repair_hyphenation(text.replace("\u00ad\n", "-\n"))
    parts = text.split("\n")
    joined = parts[0]
    for previous, line in zip(parts, parts[1:]):
        own_line = bool(_BULLET.match(line)) or bool(_MARKER.match(line)) and (
            previous.endswith(_SENTENCE_END + (";",)) or bool(_MARKER.match(previous) or _BULLET.match(previous)))
        joined += ("\n" if own_line else " ") + line
    return joined.strip()


def flow_lines(lines: list[str], *, short_line_ends_paragraph: bool = True) -> str:
    """Re-flow extracted lines into clean paragraphs separated by a blank line.

    Blank lines end a paragraph. With ``short_line_ends_paragraph`` (PDF text, which has
    no blank lines) a line shorter than a full line ends its paragraph too: when it ends a
    sentence, or when it is much shorter (a heading or a paragraph's last line) and does
    not end in a hyphen or comma. Hyphenation at line ends is repaired; lines that only
    draw a rule ("-----") become paragraph breaks.
    """
    # Rules drawn with characters ("-----", "_____") separate paragraphs; they are not text.
    stripped = ["" if _RULE_LINE.match(line) else line.strip() for line in lines]
    lengths = sorted(len(line) for line in stripped if line)
    full = lengths[int(len(lengths) * 0.8)] if lengths else 0
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in stripped:
        if not line:
            if current:
                paragraphs.append(current)
                current = []
            continue
        current.append(line)
        if not short_line_ends_paragraph:
            continue
        ends_sentence = line.endswith(_SENTENCE_END) and len(line) < 0.75 * full
        # Only a paragraph's last line (or a heading) is much shorter than a full line.
        short = len(line) < 0.6 * full and not line.endswith(("-", ",", ";", "(", "/"))
        if ends_sentence or short:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    text = "\n\n".join(p for p in (_join_paragraph(lines) for lines in paragraphs) if p)
    return normalise_whitespace(text)


_PAGE_NUMBER = re.compile(r"^(?:Seite\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:von|/)\s*\d{1,4})?$", re.IGNORECASE)
_EDGE_LINES = 3


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def furniture_lines(pages: list[list[str]]) -> list[set[int]]:
    """Indices of the running headers, footers and page numbers in per-page line lists.

    A line counts as furniture when it is among the first or last few lines of a page and
    the same line (digits ignored) stands there on at least two pages and on at least a
    third of the pages with text; page-number lines (``Seite 3``, ``- 3 -``, ``3 von 9``)
    at the edges count always.
    """
    def edges(lines: list[str]) -> list[int]:
        content = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(content[:_EDGE_LINES] + content[-_EDGE_LINES:]))

    keys: Counter[str] = Counter()
    for lines in pages:
        keys.update({_furniture_key(lines[i]) for i in edges(lines)})
    with_text = sum(1 for lines in pages if any(line.strip() for line in lines))
    threshold = max(2, -(-with_text // 3))
    repeated = {key for key, count in keys.items() if count >= threshold}
    return [{i for i in edges(lines) if _furniture_key(lines[i]) in repeated or _PAGE_NUMBER.match(lines[i].strip())}
            for lines in pages]


def strip_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Per-page line lists without running headers, footers and page numbers."""
    return [[line for i, line in enumerate(lines) if i not in drop]
            for lines, drop in zip(pages, furniture_lines(pages))]


def clean_lines_with_pages(lines: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """Re-flow (page, line) pairs into clean text and say where each page starts in it.

    Cleaning only drops whitespace and hyphens, never letters or digits, so the n-th
    letter or digit of the raw lines is the n-th of the clean text: page starts are found
    by counting them.
    """
    text = flow_lines([line for _, line in lines])
    positions = [i for i, char in enumerate(text) if char.isalnum()]
    starts: list[tuple[int, int]] = []
    seen = 0
    current_page = None
    for page, line in lines:
        if page != current_page:
            if current_page is None:
                starts.append((page, 0))
            else:
                starts.append((page, positions[seen] if seen < len(positions) else len(text)))
            current_page = page
        seen += sum(1 for char in unicodedata.normalize("NFC", line) if char.isalnum())
    return text, starts


_MONTHS = {"januar": 1, "februar": 2, "märz": 3, "maerz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
           "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12}
_STAND_DATE = re.compile(r"\bStand:?\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_STAND_MONTH = re.compile(r"\bStand:?\s*(" + "|".join(_MONTHS) + r")\s+(\d{4})", re.IGNORECASE)


def find_stand(text: str) -> tuple[str, str]:
    """The first "Stand: 14.03.2025" (or "Stand: März 2025") in ``text`` as
    (display form, ISO date); ("", "") when there is none."""
    match = _STAND_DATE.search(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{day:02d}.{month:02d}.{year}", f"{year:04d}-{month:02d}-{day:02d}"
    match = _STAND_MONTH.search(text)
    if match:
        month = _MONTHS[match.group(1).lower()]
        return f"{match.group(1)} {match.group(2)}", f"{int(match.group(2)):04d}-{month:02d}-01"
    return "", ""


def stand_of(source: SourceInfo, text: str) -> tuple[str, str]:
    """Stand from the catalogue when given (dated if it contains a date), else from ``text``."""
    if source.stand:
        _, iso = find_stand(f"Stand: {source.stand}")
        return source.stand, iso
    return find_stand(text)


# ---------------------------------------------------------------------------------------
# HTML

# Elements whose content is never document text.
_HTML_DROP = {"script", "style", "noscript", "template", "nav", "aside", "form", "button", "select",
              "input", "textarea", "svg", "iframe", "object", "embed", "canvas", "head", "dialog"}
_HTML_DROP_ROLES = {"navigation", "banner", "contentinfo", "search"}
_HTML_DROP_CLASS = re.compile(r"breadcrumb|cookie|skiplink|skip-link|sr-only|visually-hidden", re.IGNORECASE)
_HTML_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_HTML_BLOCKS = {"p", "div", "section", "article", "main", "ul", "ol", "dl", "dt", "dd", "blockquote",
                "pre", "figure", "figcaption", "address", "details", "summary", "center", "hr", "body",
                "html", "header", "footer", "caption", "fieldset", "legend"}


@dataclass
class HtmlContent:
    """What ``parse_html`` finds: the ``<title>``, the sections and all visible text."""

    title: str
    sections: list[Section]
    page_text: str = ""


def _squash(text: str) -> str:
    return " ".join(text.split())


def _is_dropped(tag) -> bool:
    if tag.name in _HTML_DROP:
        return True
    if tag.name in {"header", "footer"} and not tag.find_parent(["main", "article"]):
        return True
    attrs = tag.attrs or {}
    if attrs.get("role", "").lower() in _HTML_DROP_ROLES or "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    classes = " ".join(attrs.get("class", [])) + " " + str(attrs.get("id", ""))
    return bool(_HTML_DROP_CLASS.search(classes))


def parse_html(markup: str) -> HtmlContent:
    """Visible main text of an HTML page as heading sections (h1-h6 structure).

    Navigation, header, footer, scripts, styles, forms and hidden elements are dropped;
    ``<main>`` (or the only ``<article>``) is used when present. Paragraphs, list items
    (``- `` prefixed) and table rows (cells joined by `` | ``) become lines of clean text.
    """
    from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag

    soup = BeautifulSoup(markup, "lxml")
    title = _squash(soup.title.get_text(" ")) if soup.title else ""
    page_text = _squash(soup.get_text(" "))
    for node in soup.find_all(string=lambda s: isinstance(s, (Comment, Doctype, ProcessingInstruction))):
        node.extract()
    for tag in list(soup.find_all(True)):
        if not tag.decomposed and _is_dropped(tag):
            tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"})
    if root is None:
        articles = soup.find_all("article")
        root = articles[0] if len(articles) == 1 else (soup.body or soup)

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    blocks: list[tuple[str, str]] = []          # (kind, text) of the current section
    buffer: list[str] = []
    prefix = [""]
    anchor = [""]

    def close_section() -> None:
        flush()
        text = ""
        for index, (kind, block) in enumerate(blocks):
            if index:
                text += "\n" if kind == "li" and blocks[index - 1][0] == "li" else "\n\n"
            text += block
        sections.append(Section(tuple(h for _, h in stack), text, anchor=anchor[0]))
        blocks.clear()

    def flush() -> None:
        raw = "".join(buffer)
        buffer.clear()
        lines = [_squash(line) for line in raw.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            kind = "p"
            if prefix[0]:     # the first block of a list item carries its dash
                text, kind = prefix[0] + text, "li"
                prefix[0] = ""
            blocks.append((kind, text))

    def table_text(table: Tag) -> str:
        rows = []
        caption = table.find("caption")
        if caption:
            rows.append(_squash(caption.get_text(" ")))
        for row in table.find_all("tr"):
            cells = [_squash(cell.get_text(" ")) for cell in row.find_all(["th", "td"])]
            if any(cells):
                rows.append(" | ".join(cells))
        return "\n".join(rows)

    def heading_anchor(tag: Tag) -> str:
        if tag.get("id"):
            return str(tag["id"])
        inner = tag.find(lambda t: t.name == "a" and (t.get("id") or t.get("name")))
        return str(inner.get("id") or inner.get("name")) if inner else ""

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                # Line breaks in the markup are spaces; only <br> breaks a line.
                buffer.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HTML_HEADINGS:
                text = _squash(child.get_text(" "))
                if not text:
                    continue
                close_section()
                level = int(name[1])
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
                anchor[0] = heading_anchor(child)
            elif name == "table":
                flush()
                text = table_text(child)
                if text:
                    blocks.append(("table", text))
            elif name == "pre":
                flush()
                text = "\n".join(line.rstrip() for line in child.get_text().strip("\n").split("\n"))
                if text.strip():
                    blocks.append(("pre", text))
            elif name == "br":
                buffer.append("\n")
            elif name == "li":
                flush()
                prefix[0] = "- "
                walk(child)
                flush()
                prefix[0] = ""
            elif name in _HTML_BLOCKS:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(root)
    close_section()
    sections = [s for s in sections if s.text or s.headings]
    return HtmlContent(title=title, sections=sections, page_text=page_text)


# ---------------------------------------------------------------------------------------
# Markdown and plain text

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*\n", re.DOTALL)
_HTML_BLOCK_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_ATX = re.compile(r"^ {0,3}(#{1,6})\s+\S", re.MULTILINE)
_SETEXT_RULE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?[ \t]+([A-ZÄÖÜ][^\n]{1,78})$")
_HEADER_NAMES = [("#" * level, f"h{level}") for level in range(1, 7)]


def _strip_markup(text: str) -> str:
    """Markdown may embed HTML: decode entities, then drop scripts, styles, comments and
    tags (decoding first, so that an escaped tag cannot turn into a real one later)."""
    text = html_lib.unescape(text)
    text = _HTML_BLOCK_DROP.sub("", text)
    text = _HTML_COMMENT.sub("", text)
    return _HTML_TAG.sub("", text)


def _clean_heading(text: str) -> str:
    return _squash(re.sub(r"\s#+\s*$", "", text)).strip("# ")


def markdown_sections(text: str, *, strip_html: bool = True) -> list[Section]:
    """Heading sections of Markdown text (``#`` and underlined headings), cleaned."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _FRONT_MATTER.sub("", text, count=1)
    if strip_html:
        text = _strip_markup(text)
    text = _setext_to_atx(text) or text
    splitter = MarkdownHeaderTextSplitter(_HEADER_NAMES, strip_headers=True)
    sections = []
    for document in splitter.split_text(text):
        path = tuple(_clean_heading(document.metadata[name]) for _, name in _HEADER_NAMES
                     if document.metadata.get(name))
        # The splitter joins blocks with "  \n" and lines inside a block with "\n".
        blocks = [block.split("\n") for block in document.page_content.split("  \n")]
        lines: list[str] = []
        for block in blocks:
            lines.extend(block + [""])
        body = flow_lines(lines, short_line_ends_paragraph=False)
        sections.append(Section(path, body))
    return sections


def _setext_to_atx(text: str) -> str | None:
    """Underlined headings ("Titel" over "=====" or "-----") -> "# Titel" / "## Titel".

    Only a single short line after a blank line counts (a rule under a paragraph is a
    divider). None when the text has no such heading.
    """
    lines = text.split("\n")
    found = False
    for index in range(len(lines) - 1):
        line, rule = lines[index].strip(), _SETEXT_RULE.match(lines[index + 1])
        if (rule and line and len(line) <= 100 and (index == 0 or not lines[index - 1].strip())
                and not _ATX.match(line) and not re.match(r"[-*+>|]", line)):
            lines[index] = ("# " if rule.group(1)[0] == "=" else "## ") + line
            lines[index + 1] = ""
            found = True
    return "\n".join(lines) if found else None


def _plain_headings_to_markdown(text: str) -> str | None:
    """Numbered heading lines standing alone as a paragraph ("2.1 Regelbedarf") ->
    Markdown headings. None when the text has no such lines."""
    lines = text.split("\n")
    found = False
    for index, line in enumerate(lines):
        match = _NUMBERED_HEADING.match(line.strip())
        alone = (index == 0 or not lines[index - 1].strip()) and (index + 1 >= len(lines) or not lines[index + 1].strip())
        if match and alone and not line.rstrip().endswith((".", ",", ";", ":")):
            level = match.group(1).count(".") + 1
            lines[index] = "#" * min(level, 6) + " " + line.strip()
            found = True
    return "\n".join(lines) if found else None


def plain_text_sections(text: str, max_chars: int) -> list[Section]:
    """Sections of a plain-text file: by heading when it has Markdown-style, underlined or
    numbered headings, else pieces of about ``max_chars`` (headless sections)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ATX.search(text) or _setext_to_atx(text) is not None:
        return markdown_sections(text, strip_html=False)
    converted = _plain_headings_to_markdown(text)
    if converted is not None:
        return markdown_sections(converted, strip_html=False)
    return headless_pieces(flow_lines(text.split("\n"), short_line_ends_paragraph=False), max_chars)


def headless_pieces(text: str, max_chars: int) -> list[Section]:
    """Text without headings as sections of about ``max_chars`` (cited as "Abschnitt n")."""
    return [Section((), piece) for piece in _pieces(text, max_chars)]


def _pieces(text: str, max_chars: int) -> list[str]:
    """Cut clean text into pieces with RecursiveCharacterTextSplitter; the pieces are
    taken from ``text`` itself (found from a running offset), never from splitter output."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    if not text:
        return []
    splitter = RecursiveCharacterTextSplitter(chunk_size=max_chars, chunk_overlap=0,
                                              separators=["\n\n", "\n", ". ", " ", ""])
    pieces = []
    offset = 0
    for candidate in splitter.split_text(text):
        candidate = candidate.strip()
        if not candidate:
            continue
        found = text.find(candidate, offset)
        if found < 0:  # not a substring after all: cut the rest ourselves
            log.debug("splitter piece not found in text; falling back to split_long")
            rest = text[offset:]
            pieces.extend(rest[s:e] for s, e in split_long(rest, max_chars))
            return pieces
        # Text skipped between pieces (only whitespace when the splitter behaves) stays.
        gap = text[offset:found].strip()
        if gap:
            pieces.append(gap)
        pieces.append(candidate)
        offset = found + len(candidate)
    tail = text[offset:].strip()
    if tail:
        pieces.append(tail)
    return pieces


# ---------------------------------------------------------------------------------------
# Loading

_BAD_PDF_TITLE = re.compile(r"^(microsoft\s+\w+\s*-|untitled|unbenannt|ohne titel|dokument\d*$)|\.(docx?|pdf|odt|rtf)$",
                            re.IGNORECASE)


def pdf_metadata_title(reader) -> str:
    """The PDF's /Title unless it is empty or a word processor's placeholder."""
    try:
        title = _squash(str((reader.metadata or {}).get("/Title") or "")).rstrip(" ,;:-–")
    except Exception:  # broken metadata must not stop the document
        return ""
    return "" if (not title or _BAD_PDF_TITLE.search(title)) else title


def reject_binary(path: Path, text: str) -> None:
    """Raise when decoded 'text' is really binary data (many control characters)."""
    if not text:
        return
    sample = text[:20000]
    bad = sum(1 for char in sample if (unicodedata.category(char) in {"Cc", "Co", "Cn"} and char not in "\n\r\t\f")
              or char == "\ufffd")
    if bad / len(sample) > 0.02:
        raise IngestError(path, f"binary content, not text ({bad} control characters in the first "
                                f"{len(sample)}); is the file type right?")


def _label(title: str, section: Section, number: int) -> tuple[str, dict[str, str]]:
    path = list(section.headings)
    if path and path[0] == title:
        path = path[1:]
    if path:
        heading = HEADING_SEPARATOR.join(path)
        return f"{title}, {heading}", {"section": str(number), "heading": heading}
    return f"{title}, Abschnitt {number}", {"section": str(number)}


def _document(source: SourceInfo, kind: str, title: str, doc: DocumentText, settings: Settings, pages: int,
              warnings: list[str], fmt: str) -> LoadedDocument:
    return LoadedDocument(doc_id=source.doc_id, path=str(source.path), kind=kind, doc_type=DOC_TYPE, title=title,
                          sha256=file_sha256(source.path), text=doc.text, chunks=doc.chunks(settings.max_chunk_chars),
                          pages=pages, meta={"loader": "generic", "format": fmt}, warnings=warnings)


def _load_pdf(source: SourceInfo, settings: Settings) -> LoadedDocument:
    from ingest.pdf import open_pdf, read_pdf_pages

    path = source.path
    raw_pages, warnings = read_pdf_pages(path)
    page_lines = strip_page_furniture([page.split("\n") for page in raw_pages])
    title = source.title or pdf_metadata_title(open_pdf(path))
    if not title:
        first_line = next((" ".join(line.split()) for lines in page_lines for line in lines if line.strip()), "")
        # A first line that is a sentence is not a title.
        title = first_line if len(first_line) <= 120 and not first_line.endswith((".", ",", ";", ":")) else path.stem
    kind = source.kind or "other"
    stand, stand_date = stand_of(source, "\n".join(raw_pages[:2]))
    doc = DocumentText(paged=True)
    for number, lines in enumerate(page_lines, start=1):
        doc.mark_page(number)
        doc.add_unit(flow_lines(lines), url=source.url or "", doc_id=source.doc_id, kind=kind, doc_type=DOC_TYPE,
                     title=title, label=f"{title}, S. {number}", locator={"page": str(number)},
                     stand=stand, stand_date=stand_date)
    return _document(source, kind, title, doc, settings, len(raw_pages), warnings, "pdf")


def add_sections(doc: DocumentText, sections: list[Section], unit_fields) -> None:
    """Add sections to ``doc``: headings not shown yet as context, then each section's text
    as a unit with the fields ``unit_fields(section, number)`` returns (None: context only).
    ``number`` counts the sections with text, from 1."""
    shown: tuple[str, ...] = ()
    number = 0
    for section in sections:
        common = 0
        while common < min(len(shown), len(section.headings)) and shown[common] == section.headings[common]:
            common += 1
        for heading in section.headings[common:]:
            doc.add(heading)
        shown = section.headings
        if not section.text:
            continue
        number += 1
        fields = unit_fields(section, number)
        if fields is None:
            doc.add(section.text)
        else:
            doc.add_unit(section.text, **fields)


def section_url(url: str | None, section: Section) -> str:
    """The document URL with the section's HTML anchor, when both exist."""
    if url and section.anchor and "#" not in url:
        return f"{url}#{section.anchor}"
    return url or ""


def _sections_document(source: SourceInfo, settings: Settings, sections: list[Section], title: str,
                       warnings: list[str], fmt: str, stand_text: str) -> LoadedDocument:
    kind = source.kind or "other"
    stand, stand_date = stand_of(source, stand_text)

    def fields(section: Section, number: int) -> dict:
        label, locator = _label(title, section, number)
        return dict(url=section_url(source.url, section), doc_id=source.doc_id, kind=kind, doc_type=DOC_TYPE,
                    title=title, label=label, locator=locator, stand=stand, stand_date=stand_date)

    doc = DocumentText()
    add_sections(doc, sections, fields)
    return _document(source, kind, title, doc, settings, 0, warnings, fmt)


def enclosing_heading(sections: list[Section]) -> str:
    """The first heading when it encloses the whole document (every section lies under
    it), i.e. it is the document's title rather than its first chapter; else ""."""
    tops = {s.headings[0] if s.headings else "" for s in sections if s.text or s.headings}
    return tops.pop() if len(tops) == 1 else ""


def _load_text(source: SourceInfo, settings: Settings) -> LoadedDocument:
    path = source.path
    text, warnings = read_text_file(path)
    reject_binary(path, text)
    ext = path.suffix.lower()
    if ext in HTML_EXTENSIONS:
        content = parse_html(text)
        title = source.title or enclosing_heading(content.sections) or content.title or path.stem
        return _sections_document(source, settings, content.sections, title, warnings, "html", content.page_text)
    if ext in MARKDOWN_EXTENSIONS:
        sections, fmt = markdown_sections(text), "markdown"
        if not any(section.headings for section in sections):
            sections = headless_pieces("\n\n".join(s.text for s in sections if s.text), settings.max_chunk_chars)
    else:
        sections, fmt = plain_text_sections(text, settings.max_chunk_chars), "text"
    title = source.title or enclosing_heading(sections) or path.stem
    return _sections_document(source, settings, sections, title, warnings, fmt, text[:5000])


def load(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Load any PDF, HTML, Markdown or text file (other extensions are read as text)."""
    if source.path.suffix.lower() == ".pdf":
        return _load_pdf(source, settings)
    return _load_text(source, settings)
