"""What a Markdown body renders to, as far as links, images and HTML go.

CommonMark parsing with markdown-it-py, plus the link detection Streamlit's renderer runs
on the parsed text afterwards (GFM "autolink literals": bare URLs, www. names, e-mail
addresses; the patterns are those of Streamlit's bundled mdast-util-gfm-autolink-literal)."""
from __future__ import annotations

import re

from markdown_it import MarkdownIt

_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.I)
_EMAIL = re.compile(r"(?:^|(?<=[\s\W]))([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
_parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def active_content(body: str, *, allow_anchors: bool = False) -> list[str]:
    """Links, images, raw HTML and auto-linked words in ``body`` (empty when inert).

    ``allow_anchors`` accepts links to places on the same page (``#quelle-1``)."""
    found: list[str] = []
    for token in _parser.parse(body):
        if token.type == "html_block":
            found.append(f"html: {token.content.strip()}")
        for child in token.children or []:
            if allow_anchors and child.type == "link_open" and str(child.attrs.get("href", "")).startswith("#"):
                continue
            if child.type in ("link_open", "image", "html_inline"):
                found.append(f"{child.type}: {child.attrs or child.content}")
            elif child.type == "text":
                found += [f"autolink: {m.group(0)}" for m in _URL.finditer(child.content)]
                found += [f"autolink: {m.group(0)}" for m in _EMAIL.finditer(child.content)]
    return found


def rendered_text(body: str) -> str:
    """The visible text of ``body`` (code spans included, markup removed)."""
    parts: list[str] = []
    for token in _parser.parse(body):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
        if token.type == "paragraph_close":
            parts.append("\n")
    return "".join(parts).strip()
