"""Text clean-up shared by the loaders: hyphenation, whitespace, splitting long units."""
from __future__ import annotations

import re
import unicodedata

# Words that follow a suspended hyphen ("Fach- und Arbeitskräfte"): keep "- " before them.
_CONJUNCTIONS = {"und", "oder", "bzw", "sowie", "bis", "als", "wie"}
_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w+)")


def repair_hyphenation(text: str) -> str:
    """Join words broken at a line end by a hyphen.

    "Viel-\\nmehr" -> "Vielmehr"; "Job-\\nTurbo" -> "Job-Turbo" (a capitalised second part
    is a real compound hyphen); "Fach-\\nund" -> "Fach- und" (suspended hyphen).
    """

    def join(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        if right.lower() in _CONJUNCTIONS:
            return f"{left}- {right}"
        if right[0].isupper() or right[0].isdigit():
            return f"{left}-{right}"
        return f"{left}{right}"

    return _HYPHEN_BREAK.sub(join, text)


def normalise_whitespace(text: str) -> str:
    """Unicode NFC, no soft hyphens, single spaces, paragraph breaks kept as one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\u00ad", "").replace("\u00a0", " ")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def flow_text(text: str) -> str:
    """Hyphenation repaired, line breaks inside paragraphs turned into spaces."""
    text = repair_hyphenation(text)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def split_long(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Split ``text`` into (start, end) ranges of at most ``max_chars``, at paragraph or
    sentence boundaries where possible. Ranges cover the text without overlap."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    from fundstelle.sentences import split_sentences

    # Paragraph breaks and real sentence ends ("i. S. d." or "Abs." are no sentence end).
    bounds = [m.end() for m in re.finditer(r"\n\s*\n", text)] + [s for s, _ in split_sentences(text)]
    bounds = sorted(set(b for b in bounds if 0 < b < len(text)))
    ranges: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > max_chars:
        limit = start + max_chars
        candidates = [b for b in bounds if start + max_chars // 3 <= b <= limit]
        if candidates:
            cut = candidates[-1]
        else:
            space = text.rfind(" ", start + max_chars // 2, limit)
            cut = space if space > start else limit
        ranges.append((start, cut))
        start = cut
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        ranges.append((start, len(text)))
    # Trim whitespace at the edges of each range.
    trimmed = []
    for s, e in ranges:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def read_text_file(path) -> tuple[str, list[str]]:
    """Decode a text file: UTF-8 (with or without BOM), else the encoding charset-normalizer
    detects (reported as a warning). Binary content raises ``IngestError``."""
    from pathlib import Path

    from ingest.errors import IngestError

    raw = Path(path).read_bytes()
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(path, "binary content in a text file (NUL bytes); not text")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), ["not UTF-8; decoded as utf_16 (byte order mark)"]
    # German documents that are not UTF-8 are almost always Windows-1252 / Latin-1; statistical
    # detection guesses wrong on short German texts (mac_turkish, cp1250), so try it first.
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not any(unicodedata.category(c) == "Cc" and c not in "\n\r\t\f" for c in text):
        return text, ["not UTF-8; decoded as cp1252"]
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise IngestError(path, "not valid UTF-8 and no text encoding could be detected")
    return str(best), [f"not UTF-8; decoded as {best.encoding}"]
