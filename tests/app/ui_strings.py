"""Sweeps for interface strings of the wrong language (the strings come from ``i18n.STRINGS``)."""
from __future__ import annotations

import re

from app_support.i18n import STRINGS

# Shorter pieces ("Stand", "Frage") also occur in German citations and document text, which
# stay German in both languages; from this length on a match is an interface string.
MIN_FRAGMENT = 8
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def fragments(lang: str) -> set[str]:
    """Literal pieces of ``lang``'s interface texts that the other language does not use."""
    other = "en" if lang == "de" else "de"
    own_text = "\n".join(STRINGS[other].values())
    pieces = set()
    for key, text in STRINGS[lang].items():
        if text == STRINGS[other][key]:
            continue
        for piece in _PLACEHOLDER.split(text):
            piece = piece.strip(" :–-()·.,")
            if len(piece) >= MIN_FRAGMENT and piece not in own_text:
                pieces.add(piece)
    return pieces


def foreign_strings(text: str, lang: str) -> list[str]:
    """The interface strings of the other language found in ``text`` (a page shown in ``lang``)."""
    other = "en" if lang == "de" else "de"
    return sorted(piece for piece in fragments(other) if piece in text)
