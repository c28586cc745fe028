"""Sentence splitting for German legal and parliamentary text, with character spans.

Abbreviations that end in a dot ("Abs.", "Nr.", "z. B.", "i. V. m.", "S.", "vgl.") and
enumerations ("1.", "a)") must not end a sentence, or citations would quote fragments; a line
break or an Absatz number "(3)" after a full stop must, or one quote would run on into the next
Satz or Absatz.
"""
from __future__ import annotations

import re
from itertools import zip_longest

_ABBREVIATIONS = {
    "abs", "nr", "nrn", "art", "s", "z", "b", "u", "a", "v", "m", "i", "d", "vgl", "ggf", "bzw", "ca", "etc",
    "inkl", "ff", "f", "lit", "buchst", "bspw", "sog", "evtl", "gem", "rz", "rdnr", "anm", "bgbl", "drs",
    "dr", "prof", "str", "abschn", "kap", "ziff", "tz", "zzgl", "max", "min", "mio", "mrd", "jan", "feb", "apr",
    "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dez", "st", "hs", "mwv", "idf", "iVm", "o", "g", "e", "h",
    "w", "l", "k", "n", "r", "t", "p", "c", "fa", "ba", "aa", "jc", "sgb", "nrw", "ggü", "usw", "allg", "jew",
}
_CANDIDATE = re.compile(r"[.!?;]+[\"“”»)]*\s+")
# An Absatz number opening a sentence: "… gilt. (3) Der Antrag …".
_ABSATZ = r"\(\d{1,3}[a-z]?\)"
_ABSATZ_NUMBER = re.compile(_ABSATZ + r"\s")
_LEADING_ABSATZ_NUMBER = re.compile(r"^\s*" + _ABSATZ + r"\s*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


# A paragraph that goes on after a blank line: it ends in a comma, colon, semicolon or "und",
# or the next one opens in lower case or with a list marker ("a.", "b)", "1.", "o", "•").
_OPEN_END = re.compile(r"(?:[,:;]|\b(?:und|oder|sowie|bzw\.))\s*$")
_CONTINUED = re.compile(r"[a-zäöüß]|\(?[a-z0-9]{1,3}[.)]\s?|[o•▪–-]\s")


# A sentence that asks: it ends in a question mark (Latin, Arabic, full-width), closing quotes aside.
_ASKS = re.compile(r"[?\u061f\uff1f][\"“”»)]*\s*$")


def asking_sentences(text: str) -> str:
    """The part of a question that asks: its sentences that end in a question mark, where others
    only state the asker's situation ("Ich komme aus Rumänien und bin vor einem Monat
    hergezogen. Bekomme ich Bürgergeld?" → "Bekomme ich Bürgergeld?"); ``text`` itself when
    every sentence asks or none does."""
    spans = split_sentences(text)
    asking = [text[s:e] for s, e in spans if _ASKS.search(text[s:e])]
    if not asking or len(asking) == len(spans):
        return text
    return " ".join(asking)


def without_absatz_number(sentence: str) -> str:
    """``sentence`` without the Absatz number that opens it ("(3) Zur Bedarfsgemeinschaft
    gehören …" → "Zur Bedarfsgemeinschaft gehören …"), for patterns that read its first words."""
    return _LEADING_ABSATZ_NUMBER.sub("", sentence, count=1)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text`` (whitespace trimmed). A blank line ends
    a sentence even without a full stop (a table line "… 20,00 Euro", a heading), unless the
    paragraph plainly goes on (an enumeration introduced by a colon, a list item)."""
    out: list[tuple[int, int]] = []
    start = 0
    for gap in _PARAGRAPH_BREAK.finditer(text):
        if _OPEN_END.search(text, start, gap.start()) or _CONTINUED.match(text, gap.end()):
            continue
        out += [(start + s, start + e) for s, e in _split_paragraph(text[start:gap.start()])]
        start = gap.end()
    out += [(start + s, start + e) for s, e in _split_paragraph(text[start:])]
    return [piece for span in out for piece in _end_at_table(text, span)]


def _end_at_table(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """A table ends the sentence that introduces it: the lines after its last row ("…\n10 | 5\n
    Abweichend von Absatz 1 …") are sentences of their own."""
    start, end = span
    if "|" not in text[start:end]:
        return [span]
    last_row_end = None
    position = start
    for line in text[start:end].split("\n"):
        if "|" in line:
            last_row_end = position + len(line)
        position += len(line) + 1
    rest = last_row_end + 1 if last_row_end is not None else end
    while rest < end and text[rest].isspace():
        rest += 1
    if rest >= end:
        return [span]
    return [(start, last_row_end)] + [(rest + s, rest + e) for s, e in _split_paragraph(text[rest:end])]


def _split_paragraph(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        before = text[start:match.start()]
        word = re.search(r"(\S+)$", before)
        token = word.group(1) if word else ""
        nxt = text[end:end + 1]
        punct = match.group(0).strip()
        if punct.startswith("."):
            bare = token.strip("(„\"").rstrip(".").lower()
            # "Abs." / "z. B." / "1." / "a." / ordinal dates ("30. Juni") do not end a sentence.
            if bare in _ABBREVIATIONS or bare.isdigit() or len(bare) == 1:
                continue
            # "… nach § 7 Abs. 1. (vgl. …)" goes on; a new line or an Absatz number after the
            # dot starts a new sentence even with "§" or "(" (law text has one Satz per line:
            # "… vorzulegen.\n§ 31 Absatz 1 findet keine Anwendung.").
            new_line = "\n" in match.group(0)
            if nxt and (nxt.islower() or (nxt in "§(" and not new_line and not _ABSATZ_NUMBER.match(text, end))):
                continue
        elif punct.startswith(";"):
            # Semicolons separate enumerated conditions; keep them together unless long.
            if end - start < 400:
                continue
        spans.append((start, match.end()))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e - s >= 2:
            out.append((s, e))
    return out


_TABLE_ENUMERATOR = re.compile(r"^\(?\d{1,3}[a-z]?[.)]$|^[a-z]\)$")


def _cells(line: str) -> list[str]:
    return [" ".join(cell.split()) for cell in line.split("|")]


def table_rows(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The rows of a table inside the sentence ``text[start:end]``, each read as a sentence.

    The law loader writes a gii table as lines of cells separated by " | " after the words that
    introduce it. A row alone ("48 | 58. | 24") says nothing; read with the introduction and
    the header, it is the rule: "Die Dauer des Anspruchs auf Arbeitslosengeld beträgt nach
    Versicherungspflichtverhältnissen mit einer Dauer von insgesamt mindestens 48 Monaten und
    nach Vollendung des 58. Lebensjahres – 24 Monate". A header cell with a gap "…" takes the
    value into the gap (the last column, what the row leads to, after a dash); other cells read
    "header: value"; an empty cell is left out. A table
    whose first row is data (no header) reads its cells after the introduction. Returns
    ``(row_start, row_end, reading)`` with the row's span in ``text``; empty when the sentence
    holds no table."""
    lines: list[tuple[int, int]] = []
    position = start
    for line in text[start:end].split("\n"):
        lines.append((position, position + len(line)))
        position += len(line) + 1
    table = [(s, e) for s, e in lines if "|" in text[s:e]]
    if len(table) < 2:
        return []
    first = table[0][0]
    lead = without_absatz_number(" ".join(text[start:first].split())).rstrip(":")
    header = _cells(text[table[0][0]:table[0][1]])
    has_header = not any(ch.isdigit() for ch in header[0]) and len(_cells(text[table[1][0]:table[1][1]])) == len(header)
    rows = table[1:] if has_header else table
    out = []
    for row_start, row_end in rows:
        cells = _cells(text[row_start:row_end])
        if not has_header:
            words = [c for c in cells if c and not _TABLE_ENUMERATOR.match(c)]
            reading = " ".join([lead, *words]).strip()
        else:
            gaps, labelled = [], []
            # A ragged row (more cells than the header) keeps its extra cells as plain values.
            for column, (head, value) in enumerate(zip_longest(header, cells, fillvalue="")):
                if not value:
                    continue
                if "…" in head:
                    # The last column is what the row leads to ("… Monate" of Anspruchsdauer).
                    last = column == len(header) - 1 and gaps
                    gaps.append(("– " if last else "") + head.replace("…", value, 1))
                else:
                    labelled.append(f"{head}: {value}" if head else value)
            reading = " ".join([lead, *gaps]).strip()
            if labelled:
                reading = f"{reading} – {'; '.join(labelled)}" if reading else "; ".join(labelled)
        reading = reading.rstrip(",;")
        if reading:
            out.append((row_start, row_end, reading))
    return out
