"""Reading PDFs with pypdf: opening (every failure a clear one-line ``IngestError``), page
texts, and the one line extractor the PDF loaders share.

The line extractor reads pypdf's ``visitor_text`` runs: position (text matrix times the
current transformation), font size on the page and weight. Two views of a page's lines:

* ``positioned_lines``: lines as drawn, with left edge, baseline, estimated right edge, size
  and weight (BA Weisungen: margin column and body are told apart by x);
* ``styled_lines``: the lines of pypdf's own text extraction, each with the weight, size and
  baseline of the drawn line with the same characters (BA Statistik headings).

Loaders keep only their structure recognition on top of these lines.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from ingest.errors import IngestError, NeedsOCRError

log = logging.getLogger(__name__)

P = TypeVar("P")


def open_pdf(path: Path):
    """Open a PDF, decrypting an owner-password-only file; clear errors otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
        if b"%PDF" not in head:
            raise IngestError(path, "not a PDF file (no %PDF header); the file may be damaged or mislabelled")
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:  # unsupported crypto, missing cryptography package
                raise IngestError(path, f"encrypted PDF that cannot be opened ({type(exc).__name__})") from exc
            if not ok:
                raise IngestError(path, "encrypted PDF: a password is needed to read it")
        _ = len(reader.pages)
        return reader
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise IngestError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc


def read_pdf_pages(path: Path, *, layout: bool = False) -> tuple[list[str], list[str]]:
    """Text of every page (1 entry per page) and warnings.

    Raises ``NeedsOCRError`` when no page has a text layer, ``IngestError`` when the file
    cannot be read at all. Single pages that fail or have no text become warnings.
    """
    reader = open_pdf(path)
    pages: list[str] = []
    warnings: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text(extraction_mode="layout") if layout else page.extract_text()
        except Exception as exc:  # one broken page must not lose the document
            log.warning("%s: page %d could not be read: %s", path, number, exc)
            warnings.append(f"page {number}: unreadable ({type(exc).__name__})")
            text = ""
        pages.append(text or "")
    empty = [i + 1 for i, t in enumerate(pages) if len(t.strip()) < 5]
    if pages and len(empty) == len(pages):
        raise NeedsOCRError(path, f"no text layer on any of its {len(pages)} pages (scanned?): needs OCR")
    if not pages:
        raise IngestError(path, "PDF has no pages")
    if empty:
        warnings.append(f"pages without text (need OCR): {', '.join(map(str, empty[:20]))}")
    return pages, warnings


def read_pages(path: Path, read_page: Callable[[object, int], P], empty_page: Callable[[int], P],
               page_text: Callable[[P], str]) -> tuple[list[P], list[str], object]:
    """Every page read by ``read_page(page, number)``; a page that fails becomes
    ``empty_page(number)`` and a warning. Raises ``NeedsOCRError`` when no page has text
    (``page_text`` of each page) and ``IngestError`` when the file has no pages."""
    reader = open_pdf(path)
    pages: list = []
    warnings: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            pages.append(read_page(page, number))
        except Exception as exc:  # one broken page must not lose the document
            log.warning("%s: page %d could not be read: %s", path, number, exc)
            warnings.append(f"page {number}: unreadable ({type(exc).__name__})")
            pages.append(empty_page(number))
    if not pages:
        raise IngestError(path, "PDF has no pages")
    empty = [n for n, page in enumerate(pages, start=1) if len(page_text(page).strip()) < 5]
    if len(empty) == len(pages):
        raise NeedsOCRError(path, f"no text layer on any of its {len(pages)} pages (scanned?): needs OCR")
    if empty:
        warnings.append(f"pages without text (need OCR): {', '.join(map(str, empty[:20]))}")
    return pages, warnings, reader


# ---------------------------------------------------------------------------------------
# Text runs: geometry and fonts

_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|,b\b|-b\b", re.IGNORECASE)


@dataclass
class TextRun:
    """One text fragment as pypdf reports it while extracting a page."""

    x: float                  # origin on the page (PDF units, from the left)
    y: float                  # baseline (PDF units, from the bottom)
    text: str
    size: float               # font size on the page (font size times the matrix scale)
    bold: bool
    font: str                 # the font's /BaseFont name


def multiply(m: list[float], n: list[float]) -> list[float]:
    """Product of two PDF matrices [a b c d e f] (text matrix x current transformation)."""
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2], m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def font_name(font_dict) -> str:
    if not font_dict:
        return ""
    try:
        font = font_dict.get_object() if hasattr(font_dict, "get_object") else font_dict
        return str(font.get("/BaseFont", ""))
    except Exception:  # odd font dictionaries only cost the name
        return ""


def font_is_bold(font_dict) -> bool:
    """A bold (or heavier) font: by its name, else by its descriptor's /FontWeight."""
    if not font_dict:
        return False
    try:
        font = font_dict.get_object() if hasattr(font_dict, "get_object") else font_dict
        if _BOLD_FONT.search(str(font.get("/BaseFont", ""))):
            return True
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else None
        return bool(descriptor and float(descriptor.get("/FontWeight", 0) or 0) >= 600)
    except Exception:  # odd font dictionaries only cost the bold flag
        return False


def extract_runs(page) -> tuple[str, list[TextRun]]:
    """pypdf's text of the page and every text run of it, in content-stream order."""
    runs: list[TextRun] = []

    def visit(text, cm, tm, font_dict, font_size) -> None:
        if not text:
            return
        a, b, c, d, x, y = multiply(list(tm), list(cm))
        size = abs(font_size) * math.sqrt(abs(a * d - b * c)) or abs(font_size)
        runs.append(TextRun(x, y, text, size, font_is_bold(font_dict), font_name(font_dict)))

    text = page.extract_text(visitor_text=visit) or ""
    return text, runs


# ---------------------------------------------------------------------------------------
# Lines of pypdf's text extraction, with their style


@dataclass
class StyledLine:
    page: int
    text: str
    bold: bool = False
    size: float = 0.0
    y: float | None = None        # baseline height on the page (PDF units, from the bottom)


def styled_lines(page, number: int) -> list[StyledLine]:
    """The page's text lines (pypdf's extraction) with font weight and size.

    Runs on the same baseline are one drawn line. A text line of ``extract_text`` gets the
    style of the drawn line with the same characters (spaces ignored): bold when every run
    of it is bold, the largest size of its runs.
    """
    text, all_runs = extract_runs(page)
    runs = [run for run in all_runs if run.text.strip()]
    styles: dict[str, deque[tuple[bool, float, float]]] = defaultdict(deque)
    group: list[TextRun] = []

    def close() -> None:
        if group:
            key = re.sub(r"\s+", "", "".join(run.text for run in group))
            styles[key].append((all(run.bold for run in group), max(round(run.size, 1) for run in group),
                                group[0].y))
            group.clear()

    for run in runs:
        if group and abs(run.y - group[-1].y) > 2.0:
            close()
        group.append(run)
    close()
    lines = []
    for raw in text.split("\n"):
        key = re.sub(r"\s+", "", raw)
        bold, size, y = styles[key].popleft() if styles.get(key) else (False, 0.0, None)
        lines.append(StyledLine(number, raw, bold, size, y))
    return lines


# ---------------------------------------------------------------------------------------
# Lines as drawn, with positions

# Helvetica/Arial advance widths (1/1000 em) for ASCII; other characters are measured by
# their base letter. Only used to estimate where a text fragment ends on its line.
_WIDTHS = dict(zip(
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, *[556] * 10,
     278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556,
     833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
     333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333,
     500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584),
))


def text_width(text: str, size: float) -> float:
    """Estimated advance width of ``text`` set in Helvetica/Arial at ``size``."""
    total = 0
    for char in text:
        width = _WIDTHS.get(char)
        if width is None:
            base = unicodedata.normalize("NFD", char)[:1]
            width = _WIDTHS.get(base, 611 if char == "ß" else 556)
        total += width
    return total * size / 1000


@dataclass
class PositionedLine:
    """One line of text on a page, as drawn: a run of fragments on one baseline."""

    page: int                 # 1-based physical page index
    x: float                  # left edge
    y: float                  # baseline, from the bottom of the page
    end: float                # estimated right edge
    size: float               # font size in points
    bold: bool
    text: str
    role: str = "body"        # what the loader found it to be (body, margin, furniture, ...)

    @property
    def clean(self) -> str:
        return " ".join(self.text.split())


@dataclass
class PositionedPage:
    number: int
    width: float
    height: float
    lines: list[PositionedLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def _is_script(line: PositionedLine, x: float, y: float, size: float) -> bool:
    """A superscript (footnote mark) after the text, or normal text after a raised footnote
    number at the start of a line: smaller type, slightly off the baseline, continuing right."""
    small, large = sorted((size, line.size))
    return small < 0.8 * large and abs(line.y - y) < 0.7 * large and x >= line.end - 3


def positioned_lines(page, number: int, *, column_x: float | None = None) -> PositionedPage:
    """Group the text runs of a page into lines.

    A new line starts at a line break, a change of baseline, or (with ``column_x``) a wide
    gap that opens into a column starting right of ``column_x`` (some files draw a margin
    keyword right after the body text on the same baseline). Empty fragments and pypdf's
    bare line breaks carry no position.
    """
    box = page.mediabox
    result = PositionedPage(number, float(box.width), float(box.height))
    current: PositionedLine | None = None
    broken = False  # the previous fragment ended with a line break

    def close() -> None:
        nonlocal current
        if current is not None and current.text.strip():
            result.lines.append(current)
        current = None

    _, runs = extract_runs(page)
    for run in runs:
        x, y, text, size, bold = run.x, run.y, run.text, run.size, run.bold
        if text == "\n":
            broken = True
            continue
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if index > 0:
                broken = True
                if not piece:
                    continue
            if not piece.strip() and current is None:
                continue
            # pypdf reports a line break between text objects even when the second one goes
            # on along the same baseline (a paragraph's first letter drawn apart).
            continues = (current is not None and abs(current.y - y) <= 2.0
                         and current.end - size <= x <= current.end + 2 * size)
            new_line = (
                current is None or (broken and not continues)
                or (abs(current.y - y) > max(2.0, 0.3 * size) and not _is_script(current, x, y, size))
                or (column_x is not None and x >= column_x and x - current.end > max(12.0, 1.2 * size)
                    and piece.strip())
                or x < current.x - 2 * size
            )
            broken = False
            if new_line:
                close()
                if not piece.strip():
                    continue
                current = PositionedLine(number, x, y, x, size, bold, "")
            elif x - current.end > 0.8 * size and not current.text.endswith(" ") and not piece.startswith(" "):
                piece = " " + piece  # a gap the fragment text does not show
            current.text += piece
            current.end = max(current.end, x + text_width(piece, size))
            if piece.strip():
                current.bold = current.bold and bold
                if size > current.size + 0.5:  # the line began with a raised footnote number
                    current.y = y
                current.size = max(current.size, size)
    close()
    return result
