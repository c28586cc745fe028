"""Loader for the Bundesagentur für Arbeit "Fachliche Weisungen" (FW) PDFs.

The Weisungen are cut into Randziffern (Rz.), the unit a caseworker cites. Two layouts occur:

* Margin layout (SGB II Weisungen, FW Eingliederungszuschuss §§ 88–92 SGB III): the text
  sits in a left column; a right margin column holds a keyword and the Rz. in brackets,
  "Erforderlichkeit, Wirtschaftlichkeit und Sparsamkeit (16.1)", level with the first
  line of the paragraph the Rz. starts at. Plain text extraction puts the margin at the end
  of the page, so the loader reads positions (pypdf's ``visitor_text``): x separates margin
  from body, y ties each margin block to the body line at its height. A Rz. covers the
  body text from that line down to the next Rz.
* Heading layout (FW §§ 44, 45 SGB III): a Rz. is a bold heading in the text,
  "44.01 – Zielsetzung" or "V.44.01 – Antragstellung" (the "V." Rz. form the part
  "Verfahren – Teil 2"). The margin only holds keywords.

Parts are recognised by their headings and running headers. The change log ("Wesentliche
Änderungen", "Änderungshistorie") is one unit labelled "FW § 16 SGB II, Änderungshistorie",
so that its "Rz. 16.31: …" lines are never taken for Rz. content; the quoted law
("Gesetzestext", "Rechtsgrundlagen") gives "FW § 16 SGB II, Gesetzestext" (one unit per
quoted §: "FW § 11a SGB II, Gesetzestext"); annexes give "FW § 7 SGB II, Anlage 2". The
title page (read for title and subject) and the table of contents are left out.

Labels name the § a Rz. belongs to: "FW § 16 SGB II, Rz. 16.1"; in a Weisung on several
§§ the Rz. number tells ("FW § 89 SGB III, Rz. 89.2"), or, where all Rz. share one number
(FW §§ 11–11b: "11.105"), the chapter does ("FW § 11a SGB II, Rz. 11.105").

Chunk text is the body text only: page headers and footers, page numbers and the margin
keywords are removed (the Rz.'s keyword goes to ``extra["margin_note"]``, other keywords
beside its text to ``extra["margin_notes"]``), words hyphenated at a line end are joined,
footnotes move to the end of the unit they occur in. Section headings ("1.2
Leistungsgrundsätze") stay in the document text between the units and give the locator's
``section``. Nothing is dropped for not fitting the layout: text on a page without margin
column goes on in the unit of the last Rz.; text in the main part before the first Rz. is
labelled by its page, "FW § 16 SGB II, S. 9".
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from fundstelle.settings import Settings
from index.chunk import LoadedDocument
from ingest.errors import IngestError
from ingest.loaders.base import PageMap, SourceInfo, file_sha256, unit_chunks
from ingest.pdf import PositionedLine, PositionedPage, positioned_lines, read_pages
from ingest.textutil import repair_hyphenation

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------------
# Page geometry: text lines with positions (``ingest.pdf.positioned_lines``)
# ----------------------------------------------------------------------------------------

# A margin column starts right of this x (the body column ends at about 405-420 pt).
_MARGIN_MIN_X = 405.0


def _page_lines(page, number: int) -> PositionedPage:
    return positioned_lines(page, number, column_x=_MARGIN_MIN_X)


# ----------------------------------------------------------------------------------------
# Recognising the parts of a page
# ----------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_STAND = re.compile(r"Stand:?\s*(\d{1,2})\.(\d{1,2})\.(\d{4})")
# Footer lines: "BA Zentrale FGL 21 Seite 3", "Stand: 26.03.2025", "Seite 5 von 15", "Internetversion".
_FOOTER = re.compile(r"^(BA[- ]Zentrale\b.*|Stand:?\s*\d{1,2}\.\d{1,2}\.\d{4}|Internetversion"
                     r"|Seite\s*\d+(\s*von\s*\d+)?|\d+\s*von\s*\d+|\d{1,3})$")
# Header lines: "Fachliche Weisungen § 16 SGB II", "Fachliche Weisungen VB Stand: 03.03.2025",
# "Anlage zur Weisung 202412002", "Gültig ab: 03.12.2024", "Gültigkeit bis: fortlaufend".
_HEADER = re.compile(r"^(Fachliche Weisungen\b.*|Anlage zur Weisung\b.*|Gültig(keit)? (ab|bis)\b.*"
                     r"|Stand:?\s*\d{1,2}\.\d{1,2}\.\d{4})$")
_TOC_LINE = re.compile(r"(\.\s?){5,}\s*\d*\s*$")

# A Rz. id: "16.1", "16.11a", "11.72c", "88.44.1", "V.44.01", "V.EGZ.12".
_RZ_ID = r"(?:V\.(?:[A-Z]{2,5}\.)?\d{1,3}(?:\.\d{1,3})?[a-z]?|\d{1,3}[a-z]?\.\d{1,3}[a-z]?(?:\.\d{1,2})?)"
# The Rz. at the end of a margin block: "(16.1)", "(Rz. 12.1)", "(Rz 12.7)", "(7.50 – 7.51)", and
# the broken forms "(7.111" and "21.49)" where the PDF lost a bracket.
_MARGIN_RZ = re.compile(rf"(?:\(\s*(?:Rz\.?\s*)?|\bRz\.?\s*|(?<![\w.]))(?P<id>{_RZ_ID})"
                        rf"(?:\s*(?:[-–]|bis)\s*(?P<to>{_RZ_ID}))?\s*\)?\s*$")
# A Rz. written as a heading in the text (FW §§ 44, 45 SGB III): "44.01 – Zielsetzung",
# "V.45.01 Förderentscheidung".
_HEADING_RZ = re.compile(r"^(?P<id>(?:V\.)?\d{2,3}\.\d{2}[a-z]?)\s*(?:[–-]\s*)?(?P<title>\S.*)$")
# A numbered section heading: "1.2 Leistungsgrundsätze", "5.5.3.3 Leistungsberechtigung nach …".
_SECTION = re.compile(r"^(?P<num>\d{1,2}(?:\.\s?\d{1,2}){0,4})\.?\s+(?P<title>[A-ZÄÖÜ„\"(§].*)$")
_PARAGRAPH_NUMBER = re.compile(r"^\(\d{1,2}[a-z]?\)\s")
_BULLET = re.compile("^[•▪●■◦\uf0b7\uf0a7\\-–]\\s")

_CHANGELOG_MARK = re.compile(r"^(Wesentliche Änderungen|Änderungshistorie)\b")
_LAW_MARK = re.compile(r"^(Gesetzestexte?|Rechtsgrundlagen)\b(?P<rest>.*)$")
_TOC_MARK = re.compile(r"^Inhaltsverzeichnis\b")
_ANNEX_MARK = re.compile(r"^Anlage\s*(?P<id>\d+[a-z]?)?\b(?!\s*zur Weisung)(?P<rest>.*)$")
_FASSUNG_MARK = re.compile(r"^Fassung vom \d")
# The margin keyword of a Rz. that was repealed: no text belongs to it.
_REPEALED = re.compile(r"^(aufgehoben|weggefallen|entfallen|gestrichen)\b", re.IGNORECASE)

# "§ 16 SGB II", "§§ 11 - 11b SGB II", "§§ 88 - 92 SGB III".
_PARAGRAPH_REF = re.compile(r"§§?\s*(?P<first>\d+[a-z]?)(?:\s*[-–]\s*(?P<last>\d+[a-z]?))?"
                            r"\s+SGB\s+(?P<book>III|II)\b")


# "Vermittlungs - und Beratungsfachkraft": the PDF spaces a suspended hyphen off its word.
_LOOSE_HYPHEN = re.compile(r"(?<=\w) - (?=(und|oder|bzw\.|sowie|bis)\s)")


# "B ei Anfragen", "a usgeschlossen": the PDF draws a word's first letter as a run of its own,
# and the gap estimated from standard glyph widths comes out as a space.
_SPLIT_INITIAL = re.compile(r"(?<![\w.§])([^\W\d_]) ([a-zäöüß]{2,})\b")
_WORD_FORM = re.compile(r"[^\W\d_]+")


def rejoin_split_words(pages: list[PositionedPage]) -> int:
    """Join a lone letter to the lower-case rest of its word where the document itself says so:
    the joined word occurs at least twice in it, and the rest on its own (not after a lone
    letter) at most a tenth as often ("B ei" -> "Bei", "a usgeschlossen" -> "ausgeschlossen";
    "Frau A erhält" and "Person E in" stay). Returns the number of words joined."""
    lines = [line for page in pages for line in page.lines]
    counts = Counter(w.casefold() for line in lines for w in _WORD_FORM.findall(line.text))
    split_rests = Counter(m.group(2) for line in lines for m in _SPLIT_INITIAL.finditer(line.text))
    joined = 0

    def join(match: re.Match[str]) -> str:
        nonlocal joined
        word, rest = (match.group(1) + match.group(2)).casefold(), match.group(2)
        if match.string[match.end():].rstrip() == "-":
            # Hyphenated at the line end ("a usge-"): judged by the words the halves begin.
            confirmed = sum(n for w, n in counts.items() if w.startswith(word))
            alone = sum(n for w, n in counts.items() if w.startswith(rest)) - split_rests[rest]
            ok = confirmed >= 2 and alone * 10 < confirmed
        else:
            ok = counts[word] >= 2 and (counts[rest] - split_rests[rest]) * 10 < counts[word]
        if ok:
            joined += 1
            return match.group(1) + rest
        return match.group(0)

    for line in lines:
        if " " in line.text:
            line.text = _SPLIT_INITIAL.sub(join, line.text)
    return joined


def _norm(text: str) -> str:
    """NFC, no soft hyphens, single spaces."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u00a0", " ")
    return _LOOSE_HYPHEN.sub("- ", _SPACE.sub(" ", text)).strip()


def _mode(values, default: float) -> float:
    counts: dict[float, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: (counts[v], -v)) if counts else default


@dataclass
class _Layout:
    """Measures of the whole document that the page rules compare against."""

    body_left: float
    body_size: float
    spacing: float            # distance of two lines of one paragraph
    margin_x: float | None    # left edge of the margin column holding "(16.1)" markers


def _measure(pages: list[PositionedPage]) -> _Layout:
    sizes, lefts, gaps, margin_xs = [], [], [], []
    for page in pages:
        previous = None
        for line in page.lines:
            if line.role != "body":
                continue
            if line.x < _MARGIN_MIN_X:
                sizes.append(round(line.size * 2) / 2)
                lefts.append(round(line.x))
                if previous is not None and abs(previous.size - line.size) < 0.5:
                    gap = previous.y - line.y
                    if 0.8 * line.size < gap < 2 * line.size:
                        gaps.append(round(gap * 2) / 2)
                previous = line
            elif _margin_rz(line.clean):
                margin_xs.append(round(line.x))
    body_size = _mode(sizes, 11.0)
    return _Layout(body_left=_mode(lefts, 71.0), body_size=body_size, spacing=_mode(gaps, body_size * 1.15),
                   margin_x=_mode(margin_xs, 0.0) if len(margin_xs) >= 3 else None)


def _margin_rz(text: str) -> re.Match[str] | None:
    """The Rz. marker closing a margin block, if any (a bracket or "Rz." must be part of it,
    so that amounts like "15.000" in a keyword are no Rz.)."""
    match = _MARGIN_RZ.search(text)
    if match and ("(" in match.group(0) or ")" in match.group(0) or "Rz" in match.group(0)):
        return match
    return None


def _mark_furniture(page: PositionedPage) -> list[str]:
    """Set role "furniture" on headers, footers and page numbers; return the running
    headers under the title line ("Gesetzestext", "Anlage 2", "Abgrenzung BG - HG")."""
    running: list[str] = []
    header: PositionedLine | None = None
    for line in page.lines:
        text = line.clean
        if line.y > page.height - 110 and _HEADER.match(text):
            line.role = "furniture"
            if text.startswith("Fachliche Weisungen") and header is None:
                header = line
        elif line.y < 75 and _FOOTER.match(text):
            line.role = "furniture"
        elif line.y < 75 and re.match(r"^(BA[- ]Zentrale|Seite\b)", text):
            line.role = "furniture"
    if header is not None:
        previous_y = header.y
        for line in sorted(page.lines, key=lambda item: -item.y):
            if line.role != "body" or line.y >= header.y:
                continue
            if (line.bold and abs(line.size - header.size) <= 0.5 and abs(line.x - header.x) <= 3
                    and previous_y - line.y <= 1.5 * header.size and line.y > header.y - 40):
                line.role = "furniture"
                running.append(line.clean)
                previous_y = line.y
            elif line.y < previous_y:
                break
    return running


def _is_full_width(page: PositionedPage) -> bool:
    """Pages without a margin column (change log, law text, annexes): body lines run on to
    the right page margin."""
    body = [line for line in page.lines if line.role == "body" and line.x < 300]
    wide = [line for line in body if line.end > 490]
    return len(body) > 0 and len(wide) >= max(2, 0.2 * len(body))


def _mark_margin(page: PositionedPage, layout: _Layout) -> None:
    """Set role "margin" on the lines of the right margin column.

    With Rz. markers in the margin, only lines aligned with a marker of this page or with
    the document's margin column belong to it, so that table cells right of the body stay
    body text.
    """
    if page.width > page.height or _is_full_width(page):
        return
    candidates = [line for line in page.lines if line.role == "body" and _MARGIN_MIN_X <= line.x <= page.width - 80]
    if layout.margin_x is None:
        for line in candidates:
            line.role = "margin"
        return
    columns = [line.x for line in candidates if _margin_rz(line.clean)] + [layout.margin_x]
    for line in candidates:
        if any(abs(line.x - column) <= 8 for column in columns):
            line.role = "margin"


def _mark_footnotes(page: PositionedPage, layout: _Layout) -> None:
    """Footnotes: small type at the foot of the page, below all text of body size."""
    body = [line for line in page.lines if line.role == "body"]
    normal = [line.y for line in body if line.size >= layout.body_size - 0.6]
    if not normal:
        return
    lowest = min(normal)
    small = sorted((line for line in body if line.y < lowest and line.size < layout.body_size - 1.4),
                   key=lambda item: -item.y)
    if small and re.match(r"^\d{1,3}\s*\S", small[0].clean):
        for line in small:
            line.role = "footnote"


def _is_toc_page(page: PositionedPage) -> bool:
    body = [line for line in page.lines if line.role == "body"]
    dotted = [line for line in body if _TOC_LINE.search(line.clean)]
    return bool(body) and len(dotted) >= max(3, 0.4 * len(body))


# ----------------------------------------------------------------------------------------
# Margin blocks: keyword + Rz., tied to the body line at their height
# ----------------------------------------------------------------------------------------

@dataclass
class _MarginBlock:
    page: int
    top: float
    keyword: str
    rz: str = ""
    rz_to: str = ""


def _join_lines(texts: list[str]) -> str:
    """Join wrapped lines of one paragraph: hyphenation repaired, otherwise a space."""
    out = ""
    for text in texts:
        out = _append(out, text, " ")
    return out


def _append(out: str, text: str, separator: str) -> str:
    """``out`` + separator + ``text``; a space separator after a word broken by a hyphen
    becomes the repaired join ("Wei-" + "terbildung" -> "Weiterbildung"), after a slash
    none ("Antragsteller/" + "Antragstellerin")."""
    if not out:
        return text
    if separator == " " and re.search(r"\w-$", out) and re.match(r"\w", text):
        tail = re.search(r"\S+$", out).group(0)
        joined = repair_hyphenation(f"{tail}\n{text}")
        if "\n" not in joined:
            return out[: len(out) - len(tail)] + joined
    if separator == " " and re.search(r"\w/$", out) and re.match(r"\w", text):
        return out + text  # "Bedarfszeit/" + "Monatsprinzip"
    return out + separator + text


def _margin_blocks(page: PositionedPage, layout: _Layout) -> list[_MarginBlock]:
    lines = sorted((line for line in page.lines if line.role == "margin"), key=lambda item: -item.y)
    groups: list[list[PositionedLine]] = []
    for line in lines:
        if (groups and groups[-1][-1].y - line.y <= 1.7 * layout.spacing
                and not _margin_rz(groups[-1][-1].clean)):
            groups[-1].append(line)
        else:
            groups.append([line])
    blocks = []
    for group in groups:
        text = _join_lines([line.clean for line in group])
        block = _MarginBlock(page.number, group[0].y, text)
        match = _margin_rz(text)
        if match:
            block.rz, block.rz_to = match.group("id"), match.group("to") or ""
            block.keyword = text[: match.start()].strip(" ,;–-")
        blocks.append(block)
    return blocks


def _anchor(block: _MarginBlock, body: list[PositionedLine], layout: _Layout) -> PositionedLine | None:
    """The body line a margin block stands next to (None: below all text of its page).

    The keyword's first line is level with the first line of the paragraph the Rz. starts
    at, give or take half a line; so among the lines within a line of the block's top a
    paragraph start wins, then the nearest line. Far from any line: the nearest one.
    """
    if not body or block.top < min(line.y for line in body) - 1.5 * layout.spacing:
        return None  # below the last line: the paragraph was pushed to the next page
    by_height = sorted(body, key=lambda line: -line.y)
    starts = {id(line) for line in _paragraph_starts(by_height, layout)}
    near = [line for line in by_height if abs(line.y - block.top) <= 1.1 * layout.spacing]
    if near:
        preferred = [line for line in near if id(line) in starts] or near
        return min(preferred, key=lambda line: (abs(line.y - block.top), -line.y))
    return min(body, key=lambda line: abs(line.y - block.top))


def _paragraph_starts(lines: list[PositionedLine], layout: _Layout) -> list[PositionedLine]:
    """Lines (sorted top to bottom) that begin a paragraph: after a wide gap, or numbered."""
    starts = []
    previous: PositionedLine | None = None
    for line in lines:
        if (previous is None or previous.y - line.y > 1.45 * layout.spacing
                or _PARAGRAPH_NUMBER.match(line.clean) or _BULLET.match(line.clean)):
            starts.append(line)
        previous = line
    return starts


# ----------------------------------------------------------------------------------------
# Document facts: which Weisung, title, Stand
# ----------------------------------------------------------------------------------------

@dataclass
class _Weisung:
    first: str          # "16", "11", "88"
    last: str           # "" or "11b", "92"
    book: str           # "II" | "III"

    @property
    def name(self) -> str:
        ref = f"§§ {self.first}–{self.last}" if self.last else f"§ {self.first}"
        return f"{ref} SGB {self.book}"

    def covered(self) -> list[str]:
        """The §§ a range covers: "11"–"11b" -> 11, 11a, 11b; "88"–"92" -> 88 … 92."""
        if not self.last:
            return [self.first]
        first_num, first_letter = re.match(r"(\d+)([a-z]?)", self.first).groups()
        last_num, last_letter = re.match(r"(\d+)([a-z]?)", self.last).groups()
        if first_num == last_num:
            letters = "abcdefghijklmnopqrstuvwxyz"
            covered = [] if first_letter else [first_num]
            start = letters.index(first_letter) if first_letter else 0
            end = letters.index(last_letter) + 1 if last_letter else 0
            return covered + [first_num + letter for letter in letters[start:end]]
        return [str(n) for n in range(int(first_num), int(last_num) + 1)]


def _find_weisung(pages: list[PositionedPage], file_stem: str) -> _Weisung | None:
    """"§ 16 SGB II" from the title page, else the page headers, else the file name."""
    texts = [line.clean for line in pages[0].lines] if pages else []
    texts += [line.clean for page in pages[1:4] for line in page.lines if line.role == "furniture"]
    for text in texts:
        match = _PARAGRAPH_REF.search(text)
        if match:
            return _Weisung(match.group("first"), match.group("last") or "", match.group("book"))
    match = re.search(r"SGB_(III|II)_Par_(\d+[a-z]?)(?:[-_](\d+[a-z]?))?", file_stem)
    if match:
        return _Weisung(match.group(2).lstrip("0") or "0", (match.group(3) or "").lstrip("0"), match.group(1))
    return None


def _find_subject(pages: list[PositionedPage]) -> str:
    """The subject on the title page: "Leistungen zur Eingliederung", "Eingliederungszuschuss"."""
    if not pages:
        return ""
    lines = sorted((line for line in pages[0].lines if line.role == "body"), key=lambda item: -item.y)
    big = [line for line in lines if line.size >= 16]
    ref_index = next((i for i, line in enumerate(big) if _PARAGRAPH_REF.search(line.clean)), None)
    if ref_index is None:
        return ""

    def usable(line: PositionedLine) -> bool:
        text = line.clean
        return (line.bold and not text.startswith("Fachliche Weisungen") and "Sozialgesetzbuch" not in text
                and not _PARAGRAPH_REF.search(text) and not text.startswith("("))

    after = []
    for line in big[ref_index + 1:]:
        if not usable(line):
            break
        after.append(line.clean)
    if after:
        return _join_lines(after)
    before: list[str] = []
    for line in reversed(big[:ref_index]):
        if not usable(line):
            break
        before.insert(0, line.clean)
    return re.sub(r"^(zum|zur|zu)\s+", "", _join_lines(before))


def _find_stand(pages: list[PositionedPage]) -> tuple[str, str]:
    """("Stand: 26.03.2025", "2025-03-26") from the page headers and footers."""
    dates = []
    for page in pages:
        for line in page.lines:
            if line.role == "furniture" or page.number == 1:
                match = _STAND.search(line.clean)
                if match:
                    day, month, year = match.groups()
                    dates.append(f"{year}-{int(month):02d}-{int(day):02d}")
    if not dates:
        return "", ""
    iso = max(set(dates), key=lambda d: (dates.count(d), d))
    year, month, day = iso.split("-")
    return f"Stand: {day}.{month}.{year}", iso


def _law_subject(pieces: list[_Piece]) -> str:
    """The subject from the quoted law ("§ 10 SGB II" / "Zumutbarkeit") when the title page has none."""
    for piece in pieces:
        if piece.unit is not None and piece.unit.kind == "law":
            texts = [line.clean for line in piece.unit.lines[:4]]
            for index, text in enumerate(texts[:-1]):
                if re.match(r"^§\s*\d+[a-z]?(\s+SGB\s+[IVX]+)?$", text):
                    return texts[index + 1]
    return ""


# ----------------------------------------------------------------------------------------
# Reading order: parts, units and headings
# ----------------------------------------------------------------------------------------

@dataclass
class _Unit:
    """One citable unit before it is placed in the document text."""

    kind: str                                  # rz | text | changelog | law | annex
    page: int
    lines: list[PositionedLine] = field(default_factory=list)
    footnotes: list[PositionedLine] = field(default_factory=list)
    rz: str = ""
    rz_to: str = ""
    keyword: str = ""                          # margin keyword or Rz. heading title
    notes: list[str] = field(default_factory=list)   # further margin keywords inside the unit
    path: list[str] = field(default_factory=list)    # section headings above the unit
    law_ref: str = ""                          # "§ 89 SGB III" for "Gesetzestext § 89 SGB III"
    annex: str = ""                            # "Anlage 2"
    annex_title: str = ""


@dataclass
class _Piece:
    """A stretch of the document text: a unit, or headings between units (no chunk)."""

    unit: _Unit | None
    lines: list[PositionedLine]


class _Reader:
    """Walks the body lines in reading order and cuts them into units.

    States: front (title page), changelog, law, toc, main, annex. Part headings and running
    headers switch the state; in the main part a Rz. (margin marker or heading) starts a unit.
    """

    def __init__(self, headings: set[int]) -> None:
        self.headings = headings
        self.state = "front"
        self.pieces: list[_Piece] = []
        self.unit: _Unit | None = None
        self.path: list[tuple[int, str]] = []
        self.law_ref = ""
        self.annex = ("", "")
        self.orphan_footnotes: list[PositionedLine] = []

    def switch(self, state: str, marker: PositionedLine | None = None, law_ref: str = "",
               annex: tuple[str, str] = ("", "")) -> None:
        """Enter another part; its heading line is kept as text between the units."""
        self.path = []
        self.close()
        self.state = state
        self.law_ref = law_ref
        self.annex = annex
        if marker is not None and state != "toc":
            self.pieces.append(_Piece(None, [marker]))

    def close(self) -> None:
        """End the current unit; headings at its end belong to what follows."""
        if self.unit is None:
            return
        trailing: list[PositionedLine] = []
        while len(self.unit.lines) > 1 and id(self.unit.lines[-1]) in self.headings:
            trailing.insert(0, self.unit.lines.pop())
        self.pieces.append(_Piece(self.unit, self.unit.lines))
        if trailing:
            self.pieces.append(_Piece(None, trailing))
            if self.unit.kind not in ("rz", "text"):  # read as text of a law or annex part
                for line in trailing:
                    self._push_path(line.clean)
        self.unit = None

    def start(self, unit: _Unit) -> None:
        self.close()
        unit.path = [title for _, title in self.path]
        unit.footnotes.extend(self.orphan_footnotes)
        self.orphan_footnotes = []
        self.unit = unit

    def content(self, line: PositionedLine) -> None:
        if self.state == "toc":
            return
        if self.unit is None:
            kind = {"changelog": "changelog", "law": "law", "annex": "annex"}.get(self.state, "text")
            self.start(_Unit(kind, line.page, law_ref=self.law_ref, annex=self.annex[0], annex_title=self.annex[1]))
        self.unit.lines.append(line)

    def _push_path(self, text: str) -> None:
        match = _SECTION.match(text)
        depth = len(re.findall(r"\d+", match.group("num"))) if match else 9
        self.path = [(d, t) for d, t in self.path if d < depth] + [(depth, text)]

    def heading(self, line: PositionedLine) -> None:
        """A section heading: kept in the text, remembered for the units below it."""
        self._push_path(line.clean)
        if self.unit is None:
            self.pieces.append(_Piece(None, [line]))
        else:
            self.unit.lines.append(line)

    def continue_heading(self, line: PositionedLine) -> None:
        if self.path:
            depth, text = self.path[-1]
            self.path[-1] = (depth, _join_lines([text, line.clean]))
        if self.unit is None and self.pieces and self.pieces[-1].unit is None:
            self.pieces[-1].lines.append(line)
        else:
            self.content(line)

    def footnote(self, line: PositionedLine) -> None:
        if self.unit is not None:
            self.unit.footnotes.append(line)
        elif self.state != "toc":
            self.orphan_footnotes.append(line)

    def finish(self) -> list[_Piece]:
        self.close()
        if self.orphan_footnotes:
            unit = _Unit("text", self.orphan_footnotes[0].page, footnotes=self.orphan_footnotes)
            self.pieces.append(_Piece(unit, []))
        return self.pieces


def _heading_lines(pages: list[PositionedPage], layout: _Layout) -> tuple[set[int], set[int]]:
    """ids of the body lines that are headings, and of those continuing the heading above."""
    headings: set[int] = set()
    continued: set[int] = set()
    for page in pages:
        previous: PositionedLine | None = None
        lefts = [round(line.x) for line in page.lines if line.role == "body" and not line.bold]
        left = _mode(lefts, layout.body_left) if len(lefts) >= 5 else layout.body_left
        for line in page.lines:
            if line.role != "body":
                continue
            text = line.clean
            gap = previous.y - line.y if previous is not None else 99.0
            if (previous is not None and id(previous) in headings and line.bold and 0 < gap <= 1.5 * layout.spacing
                    and line.x >= previous.x - 2 and not _PARAGRAPH_NUMBER.match(text)):
                headings.add(id(line))
                continued.add(id(line))
            elif line.bold and line.size >= layout.body_size - 0.6 and not _PARAGRAPH_NUMBER.match(text):
                numbered = _SECTION.match(text) and line.x <= left + 25 and len(text) <= 130
                plain = (len(text) <= 70 and line.x <= left + 40 and not re.search(r"[,;:]$", text)
                         and (gap > 1.35 * layout.spacing or gap < 0))
                centred = (len(text) <= 50 and line.x > left + 60 and line.size >= layout.body_size + 0.9
                           and not re.search(r"[,;.]$", text))
                if numbered or plain or centred:
                    headings.add(id(line))
            previous = line
    return headings, continued


def _is_marker_like(line: PositionedLine, layout: _Layout) -> bool:
    return (line.bold or line.size >= layout.body_size + 0.9) and len(line.clean) <= 90


def _read(pages: list[PositionedPage], layout: _Layout, running: dict[int, list[str]],
          blocks: dict[int, list[_MarginBlock]], weisung: _Weisung,
          warnings: list[str]) -> tuple[list[_Piece], set[int]]:
    """Cut the document into pieces; also return the ids of heading lines."""
    headings, continued = _heading_lines(pages, layout)
    reader = _Reader(headings)
    pushed: list[_MarginBlock] = []  # margin blocks whose paragraph starts on the next page
    previous_toc = False
    for page in pages:
        body = [line for line in page.lines if line.role == "body"]
        anchors: dict[int, list[_MarginBlock]] = {}
        if pushed:
            first_text = next((line for line in body if id(line) not in headings), None)
            if first_text is not None:
                anchors.setdefault(id(first_text), []).extend(pushed)
                pushed = []
        for block in blocks.get(page.number, []):
            line = _anchor(block, body, layout)
            if line is None:
                pushed.append(block)
                continue
            anchors.setdefault(id(line), []).append(block)

        toc = _is_toc_page(page) or (previous_toc and _mostly_bold(page))
        previous_toc = toc
        if page.number == 1 and _is_title_page(page):
            continue  # read for the title only
        if toc:
            if reader.state != "toc":
                reader.switch("toc")
            continue
        for header in running.get(page.number, []):
            if (not _switch_on_marker(reader, header, None, running_header=True) and reader.state == "annex"
                    and not reader.annex[1]):
                reader.annex = (reader.annex[0], header)  # "Anlage 2" / "Abgrenzung BG - HG"
        if reader.state == "toc" or (reader.state == "front" and not _page_has_marker(page, layout)):
            reader.switch("main")

        first = True
        last = ""  # what the previous body line was: "rz-heading", "heading" or ""
        for line in page.lines:
            if line.role == "footnote":
                reader.footnote(line)
                continue
            if line.role != "body":
                continue
            text = line.clean
            attached = anchors.get(id(line), [])
            rz_blocks = [block for block in attached if block.rz and not _REPEALED.match(block.keyword)]
            heading_rz = (_HEADING_RZ.match(text) if layout.margin_x is None and line.bold
                          and line.x <= layout.body_left + 10 and reader.state in ("main", "law", "front") else None)
            kind = ""
            if rz_blocks and reader.state not in ("changelog", "toc"):
                block = rz_blocks[0]
                if reader.state != "main":
                    reader.switch("main")
                reader.start(_Unit("rz", page.number, rz=block.rz, rz_to=block.rz_to, keyword=block.keyword))
                for other in rz_blocks[1:]:
                    warnings.append(f"page {page.number}: Rz. {other.rz} shares its line with Rz. {block.rz}")
                    reader.unit.notes.append(f"{other.keyword} ({other.rz})".strip())
                reader.content(line)
            elif _is_marker_like(line, layout) and _switch_on_marker(reader, text, line, first=first):
                pass
            elif reader.state == "law" and _is_marker_like(line, layout) and _law_paragraph(text, weisung):
                law_ref = _law_paragraph(text, weisung)
                if reader.unit is not None and reader.unit.law_ref != law_ref:
                    reader.switch("law", law_ref=law_ref)  # the next § of the quoted law
                reader.law_ref = law_ref
                reader.content(line)
            elif heading_rz:
                if reader.state != "main":
                    reader.switch("main")
                reader.start(_Unit("rz", page.number, rz=heading_rz.group("id"),
                                   keyword=heading_rz.group("title").strip()))
                reader.content(line)
                kind = "rz-heading"
            elif id(line) in continued and last == "rz-heading":
                reader.unit.keyword = _join_lines([reader.unit.keyword, text])
                reader.content(line)
                kind = "rz-heading"
            elif id(line) in continued and last == "heading":
                reader.continue_heading(line)
                kind = "heading"
            elif id(line) in headings and reader.state == "main":
                reader.heading(line)
                kind = "heading"
            else:
                reader.content(line)
            last = kind
            for block in attached:
                if not block.rz and block.keyword and reader.unit is not None:
                    reader.unit.notes.append(block.keyword)
            first = False
    for block in pushed:
        if block.rz:
            warnings.append(f"page {block.page}: Rz. {block.rz} has no text beside it")
    return reader.finish(), headings


def _is_title_page(page: PositionedPage) -> bool:
    body = [line for line in page.lines if line.role == "body"]
    return len(body) <= 15 and any(line.size >= 16 for line in body)


def _mostly_bold(page: PositionedPage) -> bool:
    """A table of contents going on without dot leaders ("Anlage 3   Synopse …")."""
    body = [line for line in page.lines if line.role == "body"]
    return bool(body) and sum(line.bold for line in body) >= 0.8 * len(body)


def _law_paragraph(text: str, weisung: _Weisung) -> str:
    """"§ 11a SGB II" for the heading "§ 11a" of a § the Weisung covers, else ""."""
    match = re.match(r"^§\s*(\d+[a-z]?)\b(?!\s*(Abs|Satz|Nr))", text)
    if match and len(text) <= 80 and match.group(1) in weisung.covered():
        return f"§ {match.group(1)} SGB {weisung.book}"
    return ""


def _page_has_marker(page: PositionedPage, layout: _Layout) -> bool:
    for line in page.lines:
        if line.role == "body" and _is_marker_like(line, layout):
            text = line.clean
            if (_CHANGELOG_MARK.match(text) or _LAW_MARK.match(text) or _TOC_MARK.match(text)
                    or _FASSUNG_MARK.match(text) or _ANNEX_MARK.match(text)):
                return True
    return False


def _switch_on_marker(reader: _Reader, text: str, line: PositionedLine | None, *, first: bool = False,
                      running_header: bool = False) -> bool:
    """Switch the part when ``text`` is a part heading; True when it was one."""
    if _CHANGELOG_MARK.match(text) or (_FASSUNG_MARK.match(text) and reader.state == "front"):
        if reader.state != "changelog":
            reader.switch("changelog", line)
        elif line is not None:
            reader.content(line)
        return True
    match = _LAW_MARK.match(text)
    if match:
        ref = _PARAGRAPH_REF.search(match.group("rest"))
        law_ref = f"§ {ref.group('first')} SGB {ref.group('book')}" if ref and not ref.group("last") else ""
        if reader.state != "law" or (line is not None and reader.unit is not None):
            reader.switch("law", line, law_ref=law_ref)  # a new block of quoted law
        elif line is not None:
            reader.pieces.append(_Piece(None, [line]))
            reader.law_ref = law_ref or reader.law_ref
        return True
    if _TOC_MARK.match(text):
        reader.switch("toc")
        return True
    match = _ANNEX_MARK.match(text)
    if match and (running_header or first) and reader.state != "front":
        annex = f"Anlage {match.group('id') or ''}".strip()
        title = match.group("rest").strip(" :–-")
        if reader.state != "annex" or reader.annex[0] != annex:
            reader.switch("annex", line, annex=(annex, title))
        elif line is not None:
            reader.content(line)
        return True
    return False


# ----------------------------------------------------------------------------------------
# Text assembly
# ----------------------------------------------------------------------------------------

def _flow(lines: list[PositionedLine], footnotes: list[PositionedLine], layout: _Layout,
          headings: set[int]) -> tuple[str, list[tuple[int, int]]]:
    """Clean text of a unit and the (offset, page) where each page's first line starts.

    Lines of a paragraph are joined with spaces (hyphenation repaired), paragraphs with a
    blank line, list items with a line break; footnotes follow as their own paragraphs.
    """
    out = ""
    starts: list[tuple[int, int]] = []
    previous: PositionedLine | None = None
    for index, line in enumerate([*lines, *footnotes]):
        text = _norm(line.text)
        if not text or re.fullmatch(r"[.,;:·]+", text):  # stray punctuation left by the layout
            continue
        if previous is None:
            separator = ""
        elif index == len(lines) or (index > len(lines) and re.match(r"^\d{1,3}\s", text)):
            separator = "\n\n"
        else:
            separator = _separator(previous, line, text, layout, headings)
        out = _append(out, text, separator)
        if not starts or starts[-1][1] < line.page:
            starts.append((len(out) - len(text), line.page))
        previous = line
    return out, starts


def _separator(previous: PositionedLine, line: PositionedLine, text: str, layout: _Layout, headings: set[int]) -> str:
    if (id(previous) in headings) != (id(line) in headings) or _PARAGRAPH_NUMBER.match(text):
        return "\n\n"
    if previous.page == line.page:
        gap = previous.y - line.y
        if gap > 1.45 * layout.spacing or gap < -layout.spacing:
            return "\n\n"
    if _BULLET.match(text):
        return "\n"
    return " "


# ----------------------------------------------------------------------------------------
# Which § a Rz. belongs to in a Weisung covering several §§
# ----------------------------------------------------------------------------------------

_OTHER_LAW = re.compile(r"^[^§;]{0,40}?\b(SGB\s+(?:I|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIV)\b|BGB|EStG|BAföG|BKGG|"
                        r"AufenthG|Bürgergeld-V|[A-Z][A-Za-z]*G\b)")


def _chapter(unit: _Unit) -> str | None:
    for title in unit.path:
        match = re.match(r"^(\d{1,2})\.?\s", title)
        if match:
            return match.group(1)
    return None


def _paragraph_of_chapters(units: list[tuple[_Unit, str]], candidates: list[str]) -> dict[str, str]:
    """Map top-level chapters to §§ when Rz. numbers cannot tell (FW §§ 11–11b: every Rz.
    is "11.n"). The Weisung comments the §§ in order, each in at least one chapter: choose
    the in-order assignment that agrees best with the §§ the chapters cite."""
    chapters: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    for unit, text in units:
        chapter = _chapter(unit)
        if chapter is None:
            continue
        if chapter not in counts:
            chapters.append(chapter)
            counts[chapter] = {candidate: 0 for candidate in candidates}
        for match in re.finditer(r"§\s*(\d+[a-z]?)\b", text):
            if match.group(1) in counts[chapter] and not _OTHER_LAW.match(text[match.end():]):
                counts[chapter][match.group(1)] += 1
    n, m = len(chapters), len(candidates)
    if n == 0:
        return {}
    surjective = n >= m
    minus = float("-inf")
    # best[i][j]: best score of chapters[:i+1] with chapter i given candidates[j].
    best = [[minus] * m for _ in range(n)]
    back = [[0] * m for _ in range(n)]
    for j in range(m):
        if j == 0 or not surjective:
            best[0][j] = counts[chapters[0]][candidates[j]]
    for i in range(1, n):
        for j in range(m):
            for k in range(j + 1):
                if best[i - 1][k] == minus or (surjective and j - k > 1):
                    continue
                score = best[i - 1][k] + counts[chapters[i]][candidates[j]]
                if score > best[i][j]:
                    best[i][j], back[i][j] = score, k
    j = m - 1 if surjective else max(range(m), key=lambda jj: best[n - 1][jj])
    assignment = {}
    for i in range(n - 1, -1, -1):
        assignment[chapters[i]] = candidates[j]
        j = back[i][j]
    return assignment


# ----------------------------------------------------------------------------------------
# The loader
# ----------------------------------------------------------------------------------------

WEISUNGEN_URL = "https://www.arbeitsagentur.de/ueber-uns/veroeffentlichungen/gesetze-und-weisungen"
DOC_TYPE = "Fachliche Weisung"


def load(source: SourceInfo, settings: Settings) -> LoadedDocument:
    """Parse one "Fachliche Weisungen" PDF into Rz.-level chunks."""
    path = source.path
    pages, warnings, _ = read_pages(path, _page_lines, lambda number: PositionedPage(number, 595.0, 842.0),
                                    lambda page: page.text)

    joined = rejoin_split_words(pages)
    if joined:
        log.debug("%s: %d words split after their first letter joined", path.name, joined)
    running = {page.number: _mark_furniture(page) for page in pages}
    layout = _measure(pages)
    for page in pages:
        _mark_margin(page, layout)
        _mark_footnotes(page, layout)
    blocks = {page.number: _margin_blocks(page, layout) for page in pages}
    weisung = _find_weisung(pages, path.stem)
    if weisung is None:
        raise IngestError(path, "not a BA 'Fachliche Weisungen' PDF (no '§ … SGB II/III' on its first pages)")
    pieces, headings = _read(pages, layout, running, blocks, weisung, warnings)

    subject = _find_subject(pages) or _law_subject(pieces)
    title = source.title or (f"Fachliche Weisungen {weisung.name} – {subject}" if subject
                             else f"Fachliche Weisungen {weisung.name}")
    stand, stand_date = _find_stand(pages)
    if source.stand:  # the catalogue knows better
        stand = source.stand if source.stand.startswith("Stand") else f"Stand: {source.stand}"
        match = _STAND.search(stand)
        if match:
            day, month, year = match.groups()
            stand_date = f"{year}-{int(month):02d}-{int(day):02d}"
    url = source.url or WEISUNGEN_URL

    doc_text, placed, page_map = _assemble(pieces, layout, headings, len(pages))
    chapters = _chapter_paragraphs(placed, weisung)
    chunks = []
    for unit, start, end in placed:
        label, locator = _citation(unit, weisung, _unit_paragraph(unit, weisung, chapters))
        chunks.extend(unit_chunks(
            doc_text, start, end, max_chars=settings.max_chunk_chars, pages=page_map, url=url,
            doc_id=source.doc_id, kind="ba", doc_type=DOC_TYPE, title=title, label=label, locator=locator,
            stand=stand, stand_date=stand_date, extra=_extra(unit, weisung, layout),
        ))
    return LoadedDocument(
        doc_id=source.doc_id, path=str(path), kind="ba", doc_type=DOC_TYPE, title=title,
        sha256=file_sha256(path), text=doc_text, chunks=chunks, pages=len(pages),
        meta={"weisung": weisung.name, "stand": stand, "stand_date": stand_date, "url": url,
              "layout": "margin" if layout.margin_x is not None else "heading"},
        warnings=warnings,
    )


def _assemble(pieces: list[_Piece], layout: _Layout, headings: set[int],
              page_count: int) -> tuple[str, list[tuple[_Unit, int, int]], PageMap]:
    """The document text (pieces joined by blank lines), where each unit lies, the page map."""
    page_map = PageMap()
    added = 0
    parts: list[str] = []
    placed: list[tuple[_Unit, int, int]] = []
    offset = 0
    for piece in pieces:
        if piece.unit is not None:
            text, starts = _flow(piece.unit.lines, piece.unit.footnotes, layout, headings)
        else:
            text, starts = _flow(piece.lines, [], layout, headings)
        if not text:
            continue
        if parts:
            offset += 2
        for relative, page_number in starts:
            while added < page_number:
                page_map.add_page(offset + relative)
                added += 1
        parts.append(text)
        if piece.unit is not None:
            placed.append((piece.unit, offset, offset + len(text)))
        offset += len(text)
    doc_text = "\n\n".join(parts)
    while added < page_count:
        page_map.add_page(len(doc_text))
        added += 1
    return doc_text, placed, page_map


def _rz_number(rz: str) -> str:
    match = re.match(r"^(?:V\.)?(\d+)", rz)
    return match.group(1) if match else ""


def _sharing_number(covered: list[str], number: str) -> list[str]:
    return [c for c in covered if re.match(r"\d+", c).group(0) == number]


def _chapter_paragraphs(placed: list[tuple[_Unit, int, int]], weisung: _Weisung) -> dict[str, str]:
    """Chapter -> § where several covered §§ share the Rz. number (FW §§ 11–11b)."""
    covered = weisung.covered()
    rz_units = [unit for unit, _, _ in placed if unit.kind == "rz"]
    numbers = {_rz_number(unit.rz) for unit in rz_units}
    shared = [number for number in numbers if len(_sharing_number(covered, number)) > 1]
    if not shared:
        return {}
    texts = [(unit, _norm(" ".join(line.text for line in unit.lines))) for unit in rz_units
             if _rz_number(unit.rz) == shared[0]]
    return _paragraph_of_chapters(texts, _sharing_number(covered, shared[0]))


def _unit_paragraph(unit: _Unit, weisung: _Weisung, chapters: dict[str, str]) -> str:
    """The § a Rz. belongs to: "11a" for Rz. 11.105 of FW §§ 11–11b; "" = the whole Weisung."""
    if unit.kind != "rz":
        return ""
    matching = _sharing_number(weisung.covered(), _rz_number(unit.rz))
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        return chapters.get(_chapter(unit) or "", "")
    return ""


def _citation(unit: _Unit, weisung: _Weisung, paragraph: str) -> tuple[str, dict[str, str]]:
    """Label and locator: "FW § 16 SGB II, Rz. 16.1", {"weisung": "§ 16 SGB II", "rz": "16.1"}."""
    name = f"§ {paragraph} SGB {weisung.book}" if paragraph else weisung.name
    locator = {"weisung": name}
    if unit.kind == "rz":
        rz = f"{unit.rz}–{unit.rz_to}" if unit.rz_to else unit.rz
        locator["rz"] = rz
        where = f"Rz. {rz}"
    elif unit.kind == "changelog":
        locator["part"] = where = "Änderungshistorie"
    elif unit.kind == "law":
        if unit.law_ref:
            name = locator["weisung"] = unit.law_ref
        locator["part"] = where = "Gesetzestext"
    elif unit.kind == "annex":
        locator["part"] = where = unit.annex or "Anlage"
    else:
        locator["page"] = str(unit.page)
        where = f"S. {unit.page}"
    if unit.path and unit.kind in ("rz", "text"):
        locator["section"] = unit.path[-1]
    return f"FW {name}, {where}", locator


def _extra(unit: _Unit, weisung: _Weisung, layout: _Layout) -> dict:
    extra: dict = {"weisung_doc": weisung.name}
    if unit.keyword:
        extra["margin_note" if layout.margin_x is not None else "rz_title"] = unit.keyword
    if unit.notes:
        extra["margin_notes"] = list(unit.notes)
    if unit.path:
        extra["heading_path"] = list(unit.path)
    if unit.annex_title:
        extra["annex_title"] = unit.annex_title
    return extra
