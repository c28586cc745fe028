"""Document and user text as inert Markdown for ``st.markdown``.

Streamlit renders GitHub-flavoured Markdown plus its own directives (``:red[...]``), math
(``$...$``) and emoji short codes, and it turns bare URLs, ``www.`` names and e-mail
addresses into links *after* parsing, on the text itself, so a backslash in front of them
does not stop it. A source document must not be able to add a link, an image, HTML or
formatting to the page, so:

* every ASCII punctuation character gets a backslash (CommonMark allows that for all of
  them), which disarms links, images, HTML, emphasis, headings, lists, tables, directives
  and math;
* URL-like and e-mail-like words are shown as inline code, the one place the link
  detection does not look;
* leading spaces are dropped (four of them would start a code block) and each line
  becomes its own paragraph.

The rendered text reads exactly as the source (the backslashes are not shown).
"""
from __future__ import annotations

import re

_ASCII_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# A superset of what GitHub-flavoured Markdown links on its own: http(s)/ftp URLs, "www."
# names and e-mail addresses, up to the next white space.
_LINKABLE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|www\.)\S*|[-.\w+]+@[-\w]+(?:\.[-\w]+)+\S*")


def linkable_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of words that Markdown renderers would turn into links."""
    return [m.span() for m in _LINKABLE.finditer(text)]


def _escape_plain(text: str) -> str:
    return "".join("\\" + ch if ch in _ASCII_PUNCTUATION else ch for ch in text)


def _code_span(word: str) -> str:
    # The fence must be longer than any run of backticks inside the word.
    longest = max((len(run) for run in re.findall(r"`+", word)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if word.startswith("`") or word.endswith("`") else ""
    return f"{fence}{pad}{word}{pad}{fence}"


def escape_inline(text: str) -> str:
    """One line of inert Markdown: line breaks become spaces."""
    text = " ".join(str(text).split())
    out: list[str] = []
    position = 0
    for start, end in linkable_spans(text):
        out.append(_escape_plain(text[position:start]))
        out.append(_code_span(text[start:end]))
        position = end
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def escape_block(text: str) -> str:
    """Inert Markdown for text with line breaks: each non-empty line is its own paragraph."""
    lines = [" ".join(line.split()) for line in str(text).splitlines()]
    paragraphs = [escape_inline(line) for line in lines if line]
    result = "\n\n".join(paragraphs)
    # Keep a leading/trailing space so pieces joined around a highlight do not run together.
    if text[:1].isspace() and result:
        result = " " + result
    if text[-1:].isspace() and result:
        result = result + " "
    return result


def _table_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the tables in ``text``: two or more consecutive lines of cells split by "|"
    with the same number of cells (how the law loader writes a gii table)."""
    blocks: list[tuple[int, int]] = []
    lines: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, position + len(line)))
        position += len(line) + 1
    run: list[tuple[int, int]] = []
    for start, end in lines + [(len(text), len(text))]:
        cells = text[start:end].count("|")
        if cells and (not run or cells == text[run[0][0]:run[0][1]].count("|")):
            run.append((start, end))
            continue
        if len(run) >= 2:
            blocks.append((run[0][0], run[-1][1]))
        run = [(start, end)] if cells else []
    return blocks


def _table(text: str, span: tuple[int, int] | None, colour: str) -> str:
    """A table block as a Markdown table of escaped cells (a "|" inside a cell is escaped, so no
    cell can change the table); the row that ``span`` falls in is bold on a background."""
    rows = []
    position = 0
    for line in text.split("\n"):
        cells = [escape_inline(cell) or " " for cell in line.split("|")]
        if span and position <= span[0] < position + len(line) + 1 and span[1] > position:
            cells = [f":{colour}-background[**{cell}**]" if cell.strip() else cell for cell in cells]
        rows.append("| " + " | ".join(cells) + " |")
        position += len(line) + 1
    separator = "|" + "|".join("---" for _ in text.split("\n")[0].split("|")) + "|"
    return "\n".join([rows[0], separator, *rows[1:]])


def highlight(text: str, span: tuple[int, int] | None, colour: str = "orange") -> str:
    """``text`` as inert Markdown with ``text[span[0]:span[1]]`` in bold on a coloured background.

    The span is widened to whole linkable words, so a URL is never cut into a part that
    the link detection could still see. A table of the text (lines of "|"-separated cells)
    is drawn as a table, its highlighted row marked.
    """
    tables = _table_blocks(text)
    if tables:
        parts, position = [], 0
        for start, end in tables:
            inside = (span[0] - start, span[1] - start) if span and start <= span[0] < end else None
            outside = span if span and position <= span[0] < start else None
            if text[position:start].strip():
                parts.append(highlight(text[position:start], (outside[0] - position, outside[1] - position)
                                       if outside else None, colour).strip())
            parts.append(_table(text[start:end], inside, colour))
            position = end
        if text[position:].strip():
            rest = (span[0] - position, span[1] - position) if span and span[0] >= position else None
            parts.append(highlight(text[position:], rest, colour).strip())
        return "\n\n".join(parts)
    if not span:
        return escape_block(text)
    start, end = max(0, int(span[0])), min(len(text), int(span[1]))
    if start >= end:
        return escape_block(text)
    for a, b in linkable_spans(text):
        if a < start < b:
            start = a
        if a < end < b:
            end = b
    middle = escape_inline(text[start:end])
    if not middle.strip():
        return escape_block(text)
    before, after = escape_block(text[:start]), escape_block(text[end:])
    # Paragraph breaks right next to the highlight must survive the join.
    if text[:start].rstrip(" \t").endswith("\n"):
        before = before.rstrip() + "\n\n"
    if text[end:].lstrip(" \t").startswith("\n"):
        after = "\n\n" + after.lstrip()
    return f"{before}:{colour}-background[**{middle}**]{after}"
