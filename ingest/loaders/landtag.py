"""Loader for Landtag documents (mainly NRW Drucksachen): PDF via pypdf, or plain text.

The main case is the Antwort der Landesregierung auf eine Kleine Anfrage. Its citable
units are:

* the Vorbemerkung of the questioners  -> ``Kleine Anfrage 5591, Vorbemerkung``
* the sentence naming the answering ministry and date ("Der Minister ... hat die Kleine
  Anfrage 5591 mit Schreiben vom 30. Juni 2025 ... beantwortet.")
                                       -> ``Antwort auf Kleine Anfrage 5591``
* a Vorbemerkung der Landesregierung   -> ``Antwort auf Kleine Anfrage 5591, Vorbemerkung der Landesregierung``
* each numbered question WITH its answer -> ``Antwort auf Kleine Anfrage 5591, zu Frage 3``;
  questions answered together          -> ``Antwort auf Kleine Anfrage 5591, zu Fragen 4 und 5``

When the Drucksache is known (NRW PDFs print it in the first-page header and in the running
header), labels end in ``, Drs. 18/14567 vom 30.06.2025, S. 2`` (the Drucksache's date when
the document prints one; ``S. 2 f.`` for a unit over two pages).
Kleine/Große Anfragen without answers give ``Kleine Anfrage 5591, Frage 3``; Anträge are cut
at their Roman-numeral sections ("Antrag, Abschnitt II"); anything else (Plenarprotokoll,
Landtagsdokument) by page, or as one unit split into parts for a text file.

The answer sentence is kept as its own small chunk (rather than dropped) because it is
where "who answered, and when" is found.

Clean-up: page furniture (running headers, page numbers, "Datum des Originals/Ausgegeben"
lines, bare URL lines such as tracking links) is dropped; footnotes ("1 https://...") are
moved out of the text into ``chunk.extra["footnote_urls"]`` of the chunk that carries the
footnote marker; URLs inside the running text lose their scheme in the text
("statistik.arbeitsagentur.de") and are kept whole in ``chunk.extra["urls"]``. Line-end
hyphenation is repaired with ``ingest.textutil.repair_hyphenation`` rules, also across page
breaks and the blank lines PDF extraction puts inside bold question text.

The text is cleaned as "marked text" (every character carries its page number), so that
page numbers stay exact after hyphen joins and furniture removal. PDFs are read in pypdf's
layout mode, which keeps blank lines between paragraphs; text files use the same parser
(form feeds separate pages for furniture removal, but chunks have no page numbers).

Known limits: a URL broken at a hyphen in a footnote is joined by the same rule as words
("...-mehr-" + "fordern" becomes "mehrfordern" when the hyphen was real); questions must be
numbered 1, 2, 3, ... and end with "?" (a Große Anfrage that restarts its numbering per
chapter keeps later questions inside the previous answer); footnotes other than URL
footnotes stay in the text.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from fundstelle.settings import Settings
from index.chunk import Chunk, LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.base import PageMap, SourceInfo, file_sha256, unit_chunks
from ingest.pdf import read_pdf_pages
from ingest.textutil import read_text_file, repair_hyphenation

KIND = "landtag"
NRW_PDF_URL = "https://www.landtag.nrw.de/portal/WWW/dokumentenarchiv/Dokument/MMD{wp}-{nr}.pdf"

_MONTHS = {"januar": 1, "jänner": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6, "juli": 7,
           "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12}

# --- page furniture -------------------------------------------------------------------------
_RUNNING_HEADER = re.compile(
    r"^(?:Landtag\s+[\w-]+(?:\s+-\s*\d{1,3}\s*-)?\s+Drucksache\s+\d{1,2}/\d+"
    r"|Drucksache\s+\d{1,2}/\d+(?:\s+-\s*\d{1,3}\s*-)?\s+Landtag\s+[\w-]+)$", re.I)
_PAGE_NUMBER = re.compile(r"^(?:-\s*\d{1,3}\s*-|Seite\s+\d{1,3}(?:\s*(?:von|/)\s*\d{1,3})?)$", re.I)
_ISSUE_DATES = re.compile(r"^(?:Datum des Originals|Ausgegeben)\s*:", re.I)
_BARE_URL = re.compile(r"^<?(?:https?://|www\.)\S+>?$", re.I)
_TRACKING_URL = re.compile(
    r"^<?https?://(?:www\.)?(?:bing\.com/ck/|google\.[a-z.]+/url\?|t\.co/|l\.facebook\.com/)", re.I)
_HEADER_SPLIT = re.compile(r"^(?:Landtag\s+[\w-]+|Drucksache\s+\d{1,2}/\d+|\d{1,3})$", re.I)
# "1 https://..." (optionally a short text before the URL) at the foot of a page.
_FOOTNOTE = re.compile(r"^(\d{1,2})\s+(?:(\S.{0,150}?)\s)?((?:https?://|www\.)\S+)$", re.I)

# --- front matter ----------------------------------------------------------------------------
_DOC_TYPE_WORDS = (r"Antwort|Kleine Anfrage|Große Anfrage|Antrag|Entschließungsantrag|Änderungsantrag|"
                   r"Gesetzentwurf|Beschlussempfehlung(?: und Bericht)?|Unterrichtung|Plenarprotokoll")
_FRONT_LINE = re.compile(
    r"^(?:LANDTAG\b|NORDRHEIN-WESTFALEN\b|\d{1,2}\.\s*Wahlperiode\b|\d{1,2}\.\d{1,2}\.\d{4}$"
    rf"|(?:{_DOC_TYPE_WORDS})\b|der Landesregierung$|auf die (?:Kleine|Große) Anfrage\b"
    r"|(?:der|des) Abgeordneten\b|(?:und )?der Fraktion(?:en)?\b|Neudruck$)"
    r"|\bDrucksache\s+\d{1,2}/\d+|\bWahlperiode\b", re.I)
_DRUCKSACHE = re.compile(r"\bDrucksache\s+(\d{1,2})/(\d+)", re.I)
_WAHLPERIODE = re.compile(r"\b(\d{1,2})\.\s*Wahlperiode\b", re.I)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_ANFRAGE_REF = re.compile(r"\b(Kleine|Große)\s+Anfrage\s+(\d+)", re.I)
_ASKERS = re.compile(r"^(?:der|des)\s+Abgeordneten\s+(.+)$", re.I)
_ANFRAGE_OF = re.compile(r"^auf die (?:Kleine|Große) Anfrage\s+\d+\s+vom\s+(.+)$", re.I)

# --- body structure ----------------------------------------------------------------------------
_VORBEMERKUNG_ANFRAGE = re.compile(
    r"^Vorbemerkung(?:\s+der\s+(?:Kleinen|Großen)\s+Anfrage|\s+der\s+Fragesteller(?:innen|in)?)?\s*:?$", re.I)
_VORBEMERKUNG_REGIERUNG = re.compile(r"^Vorbemerkung\s+der\s+Landesregierung\s*:?$", re.I)
_MINISTER_START = re.compile(r"^(?:Der|Die)\s+(?:Minister|Ministerin|Ministerpräsident|Ministerpräsidentin"
                             r"|Chef|Chefin|Landesregierung)\b")
_MINISTER_SENTENCE = re.compile(
    r"^(?P<who>(?:Der|Die)\s.+?)\s+hat\s+die\s+(?P<kind>Kleine|Große)\s+Anfrage\s+(?P<nr>\d+)\s+"
    r"mit\s+Schreiben\s+vom\s+(?P<date>\d{1,2}\.\s*(?:[A-Za-zäÄ]+|\d{1,2}\.)\s*\d{4})", re.S)
_QUESTION_START = re.compile(r"^(\d{1,3})\.\s+(\S.*)$")
_QUESTION_END = re.compile(r"\?\d{0,2}\)?\s*$")
_ROMAN_SECTION = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X)\.\s+(\S.*)$")
_PLENARPROTOKOLL = re.compile(r"\bPlenarprotokoll\s+(\d{1,2}/\d+)", re.I)
_TERMINAL = re.compile(r"[.!?:;][“”\"')]*$")

_MAX_QUESTION_LINES = 12
_MAX_MINISTER_LINES = 10


@dataclass
class _Line:
    """One extracted line: stripped text ('' = blank), its page, and whether page furniture
    or a page break was removed right before it (a "soft" break)."""

    text: str
    page: int
    soft: bool = False


class _Marked:
    """Text in which every character carries its page number, so clean-up keeps positions."""

    __slots__ = ("text", "pages")

    def __init__(self, text: str = "", pages: list[int] | None = None) -> None:
        self.text = text
        self.pages = pages if pages is not None else []

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> "_Marked":
        out: list[str] = []
        pages: list[int] = []
        last = 0
        for match in pattern.finditer(self.text):
            start, end = match.span()
            out.append(self.text[last:start])
            pages.extend(self.pages[last:start])
            new = repl(match)
            out.append(new)
            pages.extend(self._align(start, end, new))
            last = end
        out.append(self.text[last:])
        pages.extend(self.pages[last:])
        return _Marked("".join(out), pages)

    def _align(self, start: int, end: int, new: str) -> list[int]:
        """Pages for a replacement: a common prefix/suffix with the replaced text keeps its
        pages ("Job-\\nTurbo" -> "Job-Turbo" keeps "Turbo" on the next page)."""
        old = self.text[start:end]
        old_pages = self.pages[start:end]
        if not old_pages:
            fill = self.pages[start] if start < len(self.pages) else (self.pages[-1] if self.pages else 1)
            return [fill] * len(new)
        prefix = 0
        while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while (suffix < min(len(old), len(new)) - prefix
               and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
            suffix += 1
        fill = old_pages[min(prefix, len(old_pages) - 1)]
        middle = len(new) - prefix - suffix
        return old_pages[:prefix] + [fill] * middle + (old_pages[len(old) - suffix:] if suffix else [])

    def strip(self) -> "_Marked":
        start, end = 0, len(self.text)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return _Marked(self.text[start:end], self.pages[start:end])


@dataclass
class _Unit:
    """A citable unit before clean-up: heading lines (kept in doc.text, not in the chunk)
    and content blocks (the question is one flattened block, the answer keeps paragraphs)."""

    kind: str                      # vorbemerkung | beantwortung | vorbemerkung_lr | frage | abschnitt | seite | text
    heading: list[_Line] = field(default_factory=list)
    questions: list[list[_Line]] = field(default_factory=list)   # one line list per question
    body: list[_Line] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)   # question numbers, or the section numeral / page


@dataclass
class _Meta:
    """What the front matter and the answer sentence say about the document."""

    doc_type: str = "Landtagsdokument"
    anfrage_kind: str = ""         # "Kleine Anfrage" | "Große Anfrage"
    anfrage: str = ""
    answer: bool = False
    drucksache: str = ""
    wahlperiode: str = ""
    anfrage_drucksache: str = ""
    anfrage_date: str = ""
    header_date: str = ""
    answer_date: str = ""
    ministry: str = ""
    askers: str = ""
    title: str = ""
    nrw: bool = False
    plenarprotokoll: str = ""


# ============================================================================ public API


def load(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Parse a Landtag document (PDF or text file) into citable chunks."""
    path = Path(source.path)
    warnings: list[str] = []
    if path.suffix.lower() == ".pdf":
        raw_pages, pdf_warnings = _read_pdf(path)
        warnings.extend(pdf_warnings)
        has_pages = True
    else:
        text, text_warnings = read_text_file(path)
        warnings.extend(text_warnings)
        raw_pages = text.split("\f")           # pdftotext output separates pages by form feeds
        has_pages = False
    if not any(page.strip() for page in raw_pages):
        raise IngestError(path, "no text found in the Landtag document")
    return parse_landtag(raw_pages, source, settings, has_pages=has_pages, warnings=warnings)


def parse_landtag(raw_pages: list[str], source: SourceInfo, settings: Settings, *, has_pages: bool,
                  warnings: list[str] | None = None) -> LoadedDocument:
    """Build the document from the extracted text of each page (one entry for a text file)."""
    warnings = list(warnings or [])
    lines, footnotes, running_drucksache = _clean_pages(raw_pages)
    body_start = _find_body_start(lines)
    front = lines[:body_start] if body_start is not None else _leading_front(lines)
    meta = _read_front(front, lines, running_drucksache)
    units = _parse_units(lines, len(front), meta, has_pages)
    if source.title:
        meta.title = source.title
    return _build(source, settings, meta, front, units, footnotes, has_pages, len(raw_pages), warnings)


def parse_german_date(text: str) -> str:
    """'30. Juni 2025' or '30.06.2025' -> '2025-06-30' ('' when not a date)."""
    text = " ".join(text.split())
    match = re.match(r"(\d{1,2})\.\s*([A-Za-zäÄ]+)\s+(\d{4})", text)
    if match and match.group(2).lower() in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(match.group(3))
    else:
        match = _NUMERIC_DATE.search(text)
        if not match:
            return ""
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


# ============================================================================ reading


def _read_pdf(path: Path) -> tuple[list[str], list[str]]:
    """Page texts in pypdf's layout mode (it keeps the blank lines between paragraphs);
    pages that layout mode cannot read are retried in plain mode."""
    pages, warnings = read_pdf_pages(path, layout=True)
    if any("unreadable" in w for w in warnings):
        plain, _ = read_pdf_pages(path, layout=False)
        pages = [p if p.strip() else q for p, q in zip(pages, plain)]
    return pages, warnings


# ============================================================================ page clean-up


def _normalise_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line).replace("\u00ad", "").replace("\u00a0", " ")
    return " ".join(line.split())


def _clean_pages(raw_pages: list[str]) -> tuple[list[_Line], dict[str, str], str]:
    """Lines of all pages without page furniture; footnotes; the Drucksache of running headers."""
    lines: list[_Line] = []
    footnotes: dict[str, str] = {}
    running_drucksache = ""
    several_pages = len(raw_pages) > 1
    for number, raw in enumerate(raw_pages, start=1):
        page_lines = [_normalise_line(line) for line in raw.splitlines()]
        content = [i for i, text in enumerate(page_lines) if text]
        edges = set(content[:3] + content[-2:]) if several_pages else set()
        removed = number > 1
        index = 0
        while index < len(page_lines):
            text = page_lines[index]
            if text and (_RUNNING_HEADER.match(text) or _PAGE_NUMBER.match(text) or _ISSUE_DATES.match(text)
                         or _is_link_furniture(text, lines)
                         or (index in edges and number > 1 and _HEADER_SPLIT.match(text))):
                if _RUNNING_HEADER.match(text):
                    running_drucksache = running_drucksache or "/".join(_DRUCKSACHE.search(text).groups())
                removed = True
                index += 1
                continue
            footnote = _FOOTNOTE.match(text) if text else None
            if footnote:
                note = footnote.group(3)
                index += 1
                while index < len(page_lines) and _is_url_continuation(note, page_lines[index]):
                    note = _join_broken(note, page_lines[index])
                    index += 1
                label = f"{footnote.group(2)} {note}" if footnote.group(2) else note
                footnotes.setdefault(footnote.group(1), label)
                removed = True
                continue
            lines.append(_Line(text, number, soft=removed))
            removed = False
            index += 1
        if removed:          # furniture at the end of the page: mark the following break soft
            lines.append(_Line("", number, soft=True))
    return lines, footnotes, running_drucksache


def _is_link_furniture(text: str, kept: list[_Line]) -> bool:
    """A line that is only a URL: tracking links always, other bare URLs unless the text
    before announces them ("... finden Sie unter:")."""
    if not _BARE_URL.match(text):
        return False
    if _TRACKING_URL.match(text):
        return True
    previous = next((line.text for line in reversed(kept) if line.text), "")
    return not previous.endswith(":")


def _is_url_continuation(url: str, line: str) -> bool:
    """The next line continues a footnote URL: one token, not a new URL or footnote."""
    if not line or " " in line or _BARE_URL.match(line) or _FOOTNOTE.match(line):
        return False
    return url.endswith(("-", "/", "_", ".", "=", "&", "?")) or "/" in line


def _join_broken(left: str, right: str) -> str:
    """Join two line pieces the way ``repair_hyphenation`` would join them."""
    if re.search(r"\w-$", left) and re.match(r"\w", right):
        word = re.match(r"\w+", right).group(0)
        probe = repair_hyphenation(f"x-\n{word}")
        if probe == f"x{word}":
            return left[:-1] + right
        if probe == f"x- {word}":
            return f"{left} {right}"
        return left + right
    return left + right


# ============================================================================ structure


def _find_body_start(lines: list[_Line]) -> int | None:
    for index, line in enumerate(lines):
        text = line.text
        if not text:
            continue
        if _VORBEMERKUNG_ANFRAGE.match(text) or _VORBEMERKUNG_REGIERUNG.match(text):
            return index
        if _minister_end(lines, index) is not None:
            return index
        if _question_end(lines, index, 1) is not None:
            return index
    return None


def _leading_front(lines: list[_Line]) -> list[_Line]:
    """Front matter of a document without questions: the header lines and the heading run
    after them (the title: at most three short lines). Empty when there is no such run."""
    title_lines = 0
    for index, line in enumerate(lines[:40]):
        text = line.text
        if title_lines and (not text or _FRONT_LINE.search(text)):
            return lines[:index]
        if text and (_ROMAN_SECTION.match(text) or len(text) > 150 or title_lines >= 3
                     or not _FRONT_LINE.search(text) and re.search(r"[.!:;]$", text)):
            break      # body text: a heading is short and ends without a full stop
        if text and not _FRONT_LINE.search(text):
            title_lines += 1
    return []


def _minister_end(lines: list[_Line], index: int) -> int | None:
    """End index (exclusive) of the "Der Minister ... hat die Kleine Anfrage N mit Schreiben
    vom ... beantwortet." sentence starting at ``index``, else None."""
    if not _MINISTER_START.match(lines[index].text):
        return None
    texts = []
    for end in range(index, min(len(lines), index + _MAX_MINISTER_LINES)):
        if lines[end].text:
            texts.append(lines[end].text)
        if re.search(r"\bbeantwortet\.$", lines[end].text):
            return end + 1 if _MINISTER_SENTENCE.match(" ".join(texts)) else None
    return None


def _question_end(lines: list[_Line], index: int, expected: int) -> int | None:
    """End index (exclusive) of question ``expected`` starting at ``index``, else None.

    A question is "N. ..." with the expected number whose text ends with a question mark
    within a few lines (blank lines inside bold question text are skipped); a following
    "(Bitte ...)" line still belongs to it."""
    match = _QUESTION_START.match(lines[index].text)
    if not match or int(match.group(1)) != expected:
        return None
    text = ""
    count = 0
    for end in range(index, min(len(lines), index + 3 * _MAX_QUESTION_LINES)):
        line = lines[end].text
        if not line:
            continue
        if end > index and _QUESTION_START.match(line):
            return None
        text = f"{text} {line}"
        count += 1
        if count > _MAX_QUESTION_LINES:
            return None
        ends = _QUESTION_END.search(line) or (line.endswith(")") and "?" in text)
        if ends and text.count("(") <= text.count(")"):
            following = _next_text(lines, end + 1)
            if following is not None and lines[following].text.startswith("(") and line.endswith("?"):
                continue
            return end + 1
    return None


def _next_text(lines: list[_Line], index: int) -> int | None:
    while index < len(lines):
        if lines[index].text:
            return index
        index += 1
    return None


def _parse_units(lines: list[_Line], start: int, meta: _Meta, has_pages: bool) -> list[_Unit]:
    if meta.anfrage_kind:
        return _parse_anfrage(lines, start, meta)
    if meta.doc_type == "Antrag":
        units = _parse_sections(lines, start)
        if units:
            return units
    return _parse_plain(lines, start, has_pages)


def _parse_anfrage(lines: list[_Line], start: int, meta: _Meta) -> list[_Unit]:
    """Units of a Kleine/Große Anfrage or of its answer."""
    units: list[_Unit] = []
    current: _Unit | None = None
    expected = 1
    index = start
    while index < len(lines):
        line = lines[index]
        text = line.text
        if text and _VORBEMERKUNG_ANFRAGE.match(text) and expected == 1:
            current = _Unit("vorbemerkung", heading=[line])
            units.append(current)
            index += 1
            continue
        if text and _VORBEMERKUNG_REGIERUNG.match(text) and expected == 1:
            current = _Unit("vorbemerkung_lr", heading=[line])
            units.append(current)
            index += 1
            continue
        if text and expected == 1 and not any(u.kind == "beantwortung" for u in units):
            end = _minister_end(lines, index)
            if end is not None:
                units.append(_Unit("beantwortung", body=lines[index:end]))
                current = None
                index = end
                continue
        end = _question_end(lines, index, expected) if text else None
        if end is not None:
            current = _Unit("frage", questions=[_flatten(lines[index:end])], numbers=[str(expected)])
            units.append(current)
            expected += 1
            index = end
            continue
        if current is None:
            if not text:
                index += 1
                continue
            answered = any(u.kind == "beantwortung" for u in units)
            current = _Unit("vorbemerkung_lr" if answered else "vorbemerkung")
            units.append(current)
        current.body.append(line)
        index += 1
    units = [u for u in units if u.kind == "frage" or any(ln.text for ln in u.body)]
    return _merge_joint_answers(units) if meta.answer else units


def _merge_joint_answers(units: list[_Unit]) -> list[_Unit]:
    """Questions without an answer of their own are answered together with the next one."""
    merged: list[_Unit] = []
    waiting: _Unit | None = None
    for unit in units:
        if unit.kind != "frage":
            if waiting is not None:
                merged.append(waiting)
                waiting = None
            merged.append(unit)
            continue
        if waiting is not None:
            waiting.questions += unit.questions
            waiting.numbers += unit.numbers
            waiting.body = unit.body
            unit = waiting
            waiting = None
        if not any(ln.text for ln in unit.body):
            waiting = unit
        else:
            merged.append(unit)
    if waiting is not None:
        merged.append(waiting)
    return merged


def _parse_sections(lines: list[_Line], start: int) -> list[_Unit]:
    """Units of an Antrag: its Roman-numeral sections (text before the first one is 'text')."""
    units: list[_Unit] = []
    current = _Unit("text")
    expected = 0
    numerals = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    for line in lines[start:]:
        match = _ROMAN_SECTION.match(line.text) if line.text else None
        if match and expected < len(numerals) and match.group(1) == numerals[expected]:
            units.append(current)
            current = _Unit("abschnitt", heading=[line], numbers=[match.group(1)])
            expected += 1
            continue
        current.body.append(line)
    units.append(current)
    units = [u for u in units if any(ln.text for ln in u.body)]
    return units if any(u.kind == "abschnitt" for u in units) else []


def _parse_plain(lines: list[_Line], start: int, has_pages: bool) -> list[_Unit]:
    """Units of an unstructured document: one per page, or the whole text of a text file."""
    if not has_pages:
        return [_Unit("text", body=lines[start:])]
    units: dict[int, _Unit] = {}
    for line in lines[start:]:
        units.setdefault(line.page, _Unit("seite", numbers=[str(line.page)])).body.append(line)
    return [u for u in units.values() if any(ln.text for ln in u.body)]


# ============================================================================ front matter


def _read_front(front: list[_Line], lines: list[_Line], running_drucksache: str) -> _Meta:
    meta = _Meta()
    texts = [ln.text for ln in front if ln.text]
    head = " ".join(texts)
    everything = " ".join(ln.text for ln in lines if ln.text)

    # Drucksache: the running header, else a Drucksache printed before the document-type line
    # (after it, "Drucksache 18/13987" is the one of the Kleine Anfrage being answered).
    type_index = next((i for i, t in enumerate(texts) if re.match(rf"^(?:{_DOC_TYPE_WORDS})\b", t)), len(texts))
    header_drs = [m for t in texts[:type_index] for m in [_DRUCKSACHE.search(t)] if m]
    later_drs = [m for t in texts[type_index:] for m in [_DRUCKSACHE.search(t)] if m]
    if running_drucksache:
        meta.drucksache = running_drucksache
    elif header_drs:
        meta.drucksache = "/".join(header_drs[0].groups())
    wp = _WAHLPERIODE.search(head)
    meta.wahlperiode = wp.group(1) if wp else (meta.drucksache.split("/")[0] if meta.drucksache else "")
    dates = [parse_german_date(m.group(0)) for t in texts[:type_index] for m in _NUMERIC_DATE.finditer(t)]
    meta.header_date = next((d for d in dates if d), "")
    meta.nrw = bool(re.search(r"Nordrhein-Westfalen", head, re.I)) or running_drucksache != ""

    # The answer sentence decides the document type of an answer.
    sentence = next((m for i, ln in enumerate(lines) if ln.text and _MINISTER_START.match(ln.text)
                     for m in [_minister_match(lines, i)] if m), None)
    front_type = texts[type_index] if type_index < len(texts) else ""
    reference = _ANFRAGE_REF.search(head) or _ANFRAGE_REF.search(everything[:3000])
    if sentence:
        meta.answer = True
        meta.anfrage_kind = f"{sentence.group('kind').capitalize()} Anfrage"
        meta.anfrage = sentence.group("nr")
        meta.ministry = " ".join(sentence.group("who").split())
        meta.answer_date = parse_german_date(sentence.group("date"))
    elif reference and (re.match(r"^(?:Antwort|Kleine Anfrage|Große Anfrage)\b", front_type, re.I)
                        or not front_type and re.search(r"^\s*1\.\s", "\n".join(ln.text for ln in lines), re.M)):
        meta.answer = front_type.lower().startswith("antwort")
        meta.anfrage_kind = f"{reference.group(1).capitalize()} Anfrage"
        meta.anfrage = reference.group(2)
    if meta.anfrage_kind:
        meta.doc_type = f"Antwort auf {meta.anfrage_kind}" if meta.answer else meta.anfrage_kind
    elif re.match(r"^(?:Entschließungs|Änderungs)?antrag\b", front_type, re.I):
        meta.doc_type = "Antrag"
    elif re.search(r"\bPlenarprotokoll\b", head + " " + everything[:1000], re.I):
        meta.doc_type = "Plenarprotokoll"
        pp = _PLENARPROTOKOLL.search(head + " " + everything[:1000])
        meta.plenarprotokoll = pp.group(1) if pp else ""

    if meta.answer and later_drs:
        meta.anfrage_drucksache = "/".join(later_drs[0].groups())
    elif not meta.drucksache and later_drs and not meta.answer:
        meta.drucksache = "/".join(later_drs[0].groups())
        meta.wahlperiode = meta.wahlperiode or meta.drucksache.split("/")[0]
    for text in texts:
        askers = _ASKERS.match(text)
        if askers and not meta.askers:
            meta.askers = askers.group(1)
        asked = _ANFRAGE_OF.match(text)
        if asked:
            meta.anfrage_date = parse_german_date(asked.group(1))
    meta.title = _title(front)
    return meta


def _minister_match(lines: list[_Line], index: int) -> re.Match[str] | None:
    end = _minister_end(lines, index)
    if end is None:
        return None
    return _MINISTER_SENTENCE.match(" ".join(ln.text for ln in lines[index:end] if ln.text))


def _title(front: list[_Line]) -> str:
    """The last run of front-matter lines that are not header lines (the heading)."""
    runs: list[list[str]] = []
    current: list[str] = []
    for line in front:
        if line.text and not _FRONT_LINE.search(line.text):
            current.append(line.text)
            continue
        if current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    if not runs:
        return ""
    title = runs[-1][0]
    for piece in runs[-1][1:]:
        title = _join_broken(title, piece) if re.search(r"\w-$", title) else f"{title} {piece}"
    return title


# ============================================================================ text and chunks


_HYPHEN_ACROSS = re.compile(r"(\w)-[ \t]*\n(?:[ \t]*\n)*[ \t]*(\w+)")
_URL_IN_TEXT = re.compile(r"\b(https?://)([^\s<>\"“”„)]+[^\s<>\"“”„).,;:])", re.I)
_SENTINEL = "\ue000"


class _Assembler:
    """Builds ``doc.text`` unit by unit, keeping the page of every character, where each
    footnote marker stood, and the URLs shortened in the running text."""

    def __init__(self, footnote_numbers: list[str]) -> None:
        self._texts: list[str] = []
        self._pages: list[int] = []
        self._length = 0
        self.footnote_numbers = footnote_numbers
        self._next_footnote = 0
        self._markers: list[str] = []                   # found in the unit being cleaned
        self.footnote_offsets: dict[str, int] = {}      # footnote number -> offset in doc.text
        self.inline_urls: list[tuple[str, str]] = []    # (text shown without scheme, full URL)

    @property
    def text(self) -> str:
        return "".join(self._texts)

    def add(self, blocks: list[list[_Line]]) -> tuple[int, int] | None:
        """Append the clean text of ``blocks`` as paragraphs (each block keeps its own
        paragraph breaks) and return its span in doc.text, or None when it is empty."""
        raw_texts: list[str] = []
        raw_pages: list[int] = []
        for block in blocks:
            piece = _raw_text(block)
            if not piece.text.strip():
                continue
            if raw_texts:
                raw_texts.append("\n\n")
                raw_pages += [raw_pages[-1]] * 2
            raw_texts.append(piece.text)
            raw_pages += piece.pages
        clean = self._clean(_Marked("".join(raw_texts), raw_pages))
        if not clean.text:
            return None
        if self._length:
            self._append("\n\n", [self._pages[-1]] * 2)
        start = self._length
        self._append(*self._take_markers(clean, start))
        return start, self._length

    def _append(self, text: str, pages: list[int]) -> None:
        self._texts.append(text)
        self._pages += pages
        self._length += len(text)

    def _clean(self, raw: _Marked) -> _Marked:
        def hyphen(match: re.Match[str]) -> str:
            if "\n\n" in re.sub(r"[ \t]", "", match.group(0)) and not match.group(2)[0].islower():
                return match.group(0)      # a paragraph break before a capital: not a broken word
            return repair_hyphenation(f"{match.group(1)}-\n{match.group(2)}")

        text = raw.sub(_HYPHEN_ACROSS, hyphen)
        text = self._mark_footnotes(text)
        text = text.sub(_URL_IN_TEXT, self._shorten_url)
        text = text.sub(re.compile(r"[ \t]+"), lambda m: " ")
        text = text.sub(re.compile(r" ?\n ?"), lambda m: "\n")
        text = text.sub(re.compile(r"\n{3,}"), lambda m: "\n\n")
        text = text.sub(re.compile(r"(?<!\n)\n(?!\n)"), lambda m: " ")
        return text.strip()

    def _shorten_url(self, match: re.Match[str]) -> str:
        """An URL in running text is shown without its scheme and kept whole in extra."""
        shown = match.group(2).rstrip("/")
        self.inline_urls.append((shown, match.group(0)))
        return shown

    def _mark_footnotes(self, text: _Marked) -> _Marked:
        """Replace footnote markers ("Arbeitsmarkt.1") by a sentinel, in footnote order.
        A marker that cannot be found is skipped when one of the next two is found."""
        self._markers = []
        position = 0
        numbers = self.footnote_numbers
        while self._next_footnote < len(numbers):
            found = None
            for ahead in range(self._next_footnote, min(self._next_footnote + 3, len(numbers))):
                match = _footnote_marker(numbers[ahead]).search(text.text, position)
                if match:
                    found = (ahead, match)
                    break
            if found is None:
                break
            ahead, match = found
            self._next_footnote = ahead + 1
            self._markers.append(numbers[ahead])
            position = match.start() + 1
            text = _Marked(text.text[:match.start()] + _SENTINEL + text.text[match.end():],
                           text.pages[:match.start()] + [text.pages[match.start()]] + text.pages[match.end():])
        return text

    def _take_markers(self, clean: _Marked, start: int) -> tuple[str, list[int]]:
        """Remove the sentinels, remembering the doc.text offset of each footnote marker."""
        markers = iter(self._markers)
        out: list[str] = []
        pages: list[int] = []
        for char, page in zip(clean.text, clean.pages):
            if char == _SENTINEL:
                number = next(markers, None)
                if number is not None:
                    self.footnote_offsets[number] = start + len(out)
                continue
            out.append(char)
            pages.append(page)
        return "".join(out), pages

    def page_map(self, page_count: int) -> PageMap:
        """Where each page starts in doc.text (a page without text starts where the next does)."""
        pages = PageMap()
        index = 0
        for page in range(1, page_count + 1):
            while index < len(self._pages) and self._pages[index] < page:
                index += 1
            pages.add_page(index)
        return pages


def _footnote_marker(number: str) -> re.Pattern[str]:
    """A footnote number glued to a word or to punctuation after a word or a year
    ("Arbeitsmarkt.1", "Initiative2", "2023.3"), never part of a number ("1.5", "Abs. 1")
    or of a code ("K2")."""
    return re.compile(r"(?:(?<=[^\W\d_]{2})|(?<=[^\d\s][.,;:!?“”\"'’)])|(?<=\b\d{4}[.,;]))"
                      + re.escape(number) + r"(?!\d)(?=[\s.,;:)]|$)")


def _raw_text(lines: list[_Line]) -> _Marked:
    """Lines joined with "\\n", paragraphs with "\\n\\n". A break where furniture or a page
    break was removed continues the paragraph unless the previous line ends a sentence."""
    text: list[str] = []
    pages: list[int] = []
    previous: _Line | None = None
    blank = soft = False
    for line in lines:
        soft = soft or line.soft
        if not line.text:
            blank = True
            continue
        if previous is not None:
            if soft:
                separator = "\n\n" if _TERMINAL.search(previous.text) else "\n"
            else:
                separator = "\n\n" if blank else "\n"
            text.append(separator)
            pages.extend([previous.page] * len(separator))
        text.append(line.text)
        pages.extend([line.page] * len(line.text))
        previous = line
        blank = soft = False
    return _Marked("".join(text), pages)


def _build(source: SourceInfo, settings: Settings, meta: _Meta, front: list[_Line], units: list[_Unit],
           footnotes: dict[str, str], has_pages: bool, page_count: int, warnings: list[str]) -> LoadedDocument:
    path = Path(source.path)
    assembler = _Assembler(sorted(footnotes, key=int))
    for block in _front_blocks(front):        # in doc.text, not cited
        assembler.add([block])

    spans: list[tuple[_Unit, int, int]] = []
    for unit in units:
        if unit.heading:
            assembler.add([unit.heading])
        span = assembler.add(unit.questions + [unit.body])
        if span:
            spans.append((unit, *span))
    doc_text = assembler.text
    if not spans:
        raise IngestError(path, "no citable text found in the Landtag document")

    page_map = assembler.page_map(page_count) if has_pages else None
    url = source.url or ""
    if not url and meta.nrw and meta.drucksache:
        wp, nr = meta.drucksache.split("/")
        url = NRW_PDF_URL.format(wp=wp, nr=nr)
    stand_date = meta.answer_date or meta.header_date
    # The date printed with the Drucksache number (else the answer's), for the label.
    drucksache_date = meta.header_date or meta.answer_date
    if source.stand:
        stand = source.stand
    elif meta.answer_date:
        stand = f"Antwort vom {_german_date(meta.answer_date)}"
    elif stand_date:
        stand = f"{meta.doc_type} vom {_german_date(stand_date)}"
    else:
        stand = ""
    title = meta.title or " ".join(part for part in (
        meta.doc_type, meta.anfrage if meta.anfrage_kind else "",
        f"(Drs. {meta.drucksache})" if meta.drucksache else "") if part)
    common_extra: dict[str, object] = {}
    if meta.ministry:
        common_extra["ministry"] = meta.ministry
    if meta.askers:
        common_extra["askers"] = meta.askers

    footnote_at = {offset: number for number, offset in assembler.footnote_offsets.items() if offset >= 0}
    unplaced = [n for n in footnotes if n not in footnote_at.values()]
    if unplaced:
        warnings.append(f"footnote markers not found in the text: {', '.join(unplaced)}")

    chunks: list[Chunk] = []
    for unit, start, end in spans:
        label, locator = _label(unit, meta)
        if meta.drucksache:
            label += f", Drs. {meta.drucksache}"
            if drucksache_date:
                label += f" vom {_german_date(drucksache_date)}"
            locator["drucksache"] = meta.drucksache
        if meta.wahlperiode:
            locator["wahlperiode"] = meta.wahlperiode
        if page_map is not None:
            label += f", S. {_page_range(page_map.page_at(start), page_map.page_at(end - 1))}"
        for chunk in unit_chunks(doc_text, start, end, max_chars=settings.max_chunk_chars, pages=page_map,
                                 url=url, doc_id=source.doc_id, kind=KIND, doc_type=meta.doc_type, title=title,
                                 label=label, locator=dict(locator), stand=stand, stand_date=stand_date):
            extra = dict(common_extra)
            notes = [footnotes[n] for off, n in sorted(footnote_at.items()) if chunk.span[0] <= off <= chunk.span[1]]
            if notes:
                extra["footnote_urls"] = [_url_of(note) for note in notes]
            links = _urls_in(chunk, assembler)
            if links:
                extra["urls"] = links
            chunk.extra = extra
            chunks.append(chunk)

    doc_meta = {key: value for key, value in {
        "drucksache": meta.drucksache, "wahlperiode": meta.wahlperiode, "anfrage": meta.anfrage,
        "anfrage_drucksache": meta.anfrage_drucksache, "anfrage_date": meta.anfrage_date,
        "answer_date": meta.answer_date, "date": meta.header_date, "ministry": meta.ministry,
        "askers": meta.askers, "plenarprotokoll": meta.plenarprotokoll, "url": url, "stand": stand,
        "stand_date": stand_date, "landtag": "NRW" if meta.nrw else "",
    }.items() if value}
    if footnotes:
        doc_meta["footnotes"] = dict(footnotes)
    return LoadedDocument(doc_id=source.doc_id, path=str(path), kind=KIND, doc_type=meta.doc_type, title=title,
                          sha256=file_sha256(path), text=doc_text, chunks=chunks,
                          pages=page_count if has_pages else 0, meta=doc_meta, warnings=warnings)


def _front_blocks(front: list[_Line]) -> list[list[_Line]]:
    """Front matter as paragraphs: each header line on its own, the title as one."""
    blocks: list[list[_Line]] = []
    title: list[_Line] = []
    for line in front:
        if line.text and not _FRONT_LINE.search(line.text):
            title.append(line)
            continue
        if title:
            blocks.append(_flatten(title))
            title = []
        if line.text:
            blocks.append([line])
    if title:
        blocks.append(_flatten(title))
    return blocks


def _flatten(lines: list[_Line]) -> list[_Line]:
    """One paragraph: blank lines and soft breaks inside (bold question text) are ignored."""
    return [_Line(ln.text, ln.page) for ln in lines if ln.text]


def _label(unit: _Unit, meta: _Meta) -> tuple[str, dict[str, str]]:
    """Citation label and locator of a unit (without Drucksache and page)."""
    anfrage = f"{meta.anfrage_kind} {meta.anfrage}".strip()
    locator: dict[str, str] = {"anfrage": meta.anfrage} if meta.anfrage else {}
    if unit.kind == "vorbemerkung":
        return f"{anfrage}, Vorbemerkung", {**locator, "teil": "vorbemerkung"}
    if unit.kind == "beantwortung":
        return f"Antwort auf {anfrage}, Einleitung", {**locator, "teil": "antwort"}
    if unit.kind == "vorbemerkung_lr":
        return (f"Antwort auf {anfrage}, Vorbemerkung der Landesregierung",
                {**locator, "teil": "vorbemerkung_landesregierung"})
    if unit.kind == "frage":
        numbers = unit.numbers
        if len(numbers) == 1:
            which = f"Frage {numbers[0]}"
        else:
            which = f"Fragen {', '.join(numbers[:-1])} und {numbers[-1]}"
        prefix = f"Antwort auf {anfrage}, zu " if meta.answer else f"{anfrage}, "
        return prefix + which, {**locator, "frage": ",".join(numbers)}
    name = meta.doc_type
    if meta.plenarprotokoll:
        name += f" {meta.plenarprotokoll}"
    if unit.kind == "abschnitt":
        return f"{name}, Abschnitt {unit.numbers[0]}", {"abschnitt": unit.numbers[0]}
    return name, {}


def _page_range(first: int | None, last: int | None) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return str(first)
    if last == first + 1:
        return f"{first} f."
    return f"{first}–{last}"


def _german_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}.{month}.{year}"


def _url_of(note: str) -> str:
    match = re.search(r"(?:https?://|www\.)\S+", note)
    return match.group(0) if match else note


def _urls_in(chunk: Chunk, assembler: _Assembler) -> list[str]:
    """Full URLs of the links shown (without scheme) in the chunk's text."""
    found: list[str] = []
    for shown, url in assembler.inline_urls:
        if shown in chunk.text and url not in found:
            found.append(url)
    return found
