"""Misspellings of corpus words: "Bergketen" is "Bergketten", "Straußburg" is "Straßburg".

A question's word that the corpus never uses counts as a sign that the sources do not cover
the question (``LexicalIndex.unknown_terms``), but a typo is not a new concept: the dense side
reads "Literauturströmung" as "Literaturströmung" anyway. ``SpellingNeighbours`` says whether
the corpus holds a word one edit away (two for words of 12 letters and more; an edit is an
insertion, deletion, substitution or swap of neighbouring letters). Candidates share the
first two letters and nearly the length, so a lookup compares a few hundred words at most.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

LONG_WORD = 12   # from this length on, two edits are still a misspelling


def allowed_edits(word: str) -> int:
    return 2 if len(word) >= LONG_WORD else 1


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``; ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class SpellingNeighbours:
    """Words of a vocabulary (lower-cased, folded surface forms), looked up with typos."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._by_start: dict[str, list[str]] = defaultdict(list)
        for word in vocabulary:
            if len(word) >= 2:
                self._by_start[word[:2]].append(word)

    def has_neighbour(self, word: str) -> bool:
        """True when a vocabulary word other than ``word`` is within ``allowed_edits`` of it."""
        return misspelt_in(word, self._by_start.get(word[:2], ()))


def misspelt_in(word: str, words: Iterable[str]) -> bool:
    """True when one of ``words`` (e.g. those of the retrieved passages, rare ones included) is
    ``word`` with a typo: within ``allowed_edits`` of it and not the same word."""
    limit = allowed_edits(word)
    return any(other != word and abs(len(other) - len(word)) <= limit and edit_distance(word, other, limit) <= limit
               for other in words)
