"""Query expansion for keyword search: lemmas and everyday-to-legal synonyms of a question's words.

The question "Ich bin schwanger – bekomme ich mehr Geld?" shares no stem with "werdende Mütter";
OpenThesaurus links the two. ``expansion_tokens`` gives, in the lexical index's own token form,
the lemmas and synonyms of the question's content words that the corpus uses and the question
does not already contain. The lexical index scores them separately, with a small weight, and
adds that score: an expansion can bring a passage up but never push one down.
"""
from __future__ import annotations

import re
from typing import Callable, Container

from index.lemmas import lemma
from index.thesaurus import Thesaurus, default_thesaurus

_WORD = re.compile(r"[^\W\d_]{3,}")


def expansion_tokens(question: str, tokenize: Callable[[str], list[str]], known: Container[str], *,
                     stopwords: Container[str] = (), thesaurus: Thesaurus | None = None,
                     synonyms: bool = True) -> list[str]:
    """Tokens of the question words' lemmas (and, with ``synonyms``, OpenThesaurus synonyms)
    that ``known`` (the corpus vocabulary) holds and the question's own tokens do not."""
    thesaurus = thesaurus if thesaurus is not None else (default_thesaurus() if synonyms else Thesaurus([]))
    own = set(tokenize(question))
    out: list[str] = []
    for word in _WORD.findall(question):
        if word.casefold() in stopwords:
            continue
        related = {lemma(word)}
        if synonyms:
            related |= thesaurus.related(word)
        for phrase in sorted(related):
            for token in tokenize(phrase):
                if token in known and token not in own and token not in out:
                    out.append(token)
    return out
