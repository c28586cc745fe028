"""Lookups: a question that only names a unit asks for its text.

Staff type "§ 7 Abs. 3 SGB II" or "Was regelt § 31a SGB II?" to read a norm, not to have the
search guess what it is about: every other word of such a question is a stop word or part of the
German (or English) frame of a lookup request. ``named_references`` tells such a question from
one that names a norm *and* asks something about it ("Wie hoch ist der Mehrbedarf nach § 21
SGB II?"), which stays an ordinary question: its answer is often in the Weisung to that §.
"""
from __future__ import annotations

import re

from index.german import stopwords
from index.references import Reference, parse_references, without_references

# The words of a request to show a norm's text: "Was steht in …", "Was regelt/besagt/bestimmt
# …", "Wortlaut von …", "What does … say". Written from German and English usage, not from
# any question set.
LOOKUP_FRAME = frozenset({
    "steht", "stehen", "regelt", "regeln", "besagt", "sagt", "lautet", "bestimmt", "beinhaltet", "enthält",
    "inhalt", "wortlaut", "text", "zeige", "zeig", "zitiere", "paragraph", "paragraf", "vorschrift",
    "what", "does", "do", "say", "says", "state", "states", "show", "me", "the", "of", "is", "in",
})

_WORD = re.compile(r"[^\W\d_]+")


def named_references(question: str) -> list[Reference]:
    """The units a lookup question names (each with its law), in the question's order; empty
    when the question asks anything besides their text, or names a § without a law."""
    references = parse_references(question)
    if not references or any(not ref.law for ref in references):
        return []
    ignored = stopwords() | LOOKUP_FRAME
    if any(word.casefold() not in ignored for word in _WORD.findall(without_references(question, references))):
        return []
    return list({(ref.paragraph, ref.absatz, ref.law): ref for ref in references}.values())
