"""Everyday-to-legal synonyms from OpenThesaurus (LGPL, Debian's ``openthesaurus-de-text``).

Citizens say "schwanger", the law says "werdende Mütter"; "umziehen" and "den Wohnsitz
wechseln" name one act. OpenThesaurus groups such words in synonym sets (one line each,
``;``-separated, with annotations in parentheses: "(ugs.)", "(fachspr.)"). ``related(word)``
gives the other members of the sets a word (or its lemma) belongs to. The lexical index adds
them to a query with a small weight and only where the corpus uses them, so they can add
matches but never take one away.

The file is installed by ``scripts/ensure-thesaurus.sh``; without it there are no
synonyms (a warning in the log) and everything else works.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from index.lemmas import lemma

log = logging.getLogger(__name__)

DEFAULT_PATHS = (Path("/usr/share/openthesaurus-de/openthesaurus.txt"),)
_ANNOTATION = re.compile(r"\([^()]*\)")
# Very large sets are loose associations ("kippen", "aufheben" and "kündigen" share one); a
# word in them says little about the others.
MAX_SET_SIZE = 25


def _clean(entry: str) -> str:
    return " ".join(_ANNOTATION.sub(" ", entry).replace("...", " ").split())


class Thesaurus:
    """Synonym sets, looked up by casefolded word or lemma."""

    def __init__(self, sets: list[tuple[str, ...]]) -> None:
        self.sets = sets
        self._by_word: dict[str, list[int]] = {}
        for number, members in enumerate(sets):
            for member in members:
                self._by_word.setdefault(member.casefold(), []).append(number)

    def __len__(self) -> int:
        return len(self.sets)

    @classmethod
    def from_text(cls, text: str, max_set_size: int = MAX_SET_SIZE) -> "Thesaurus":
        sets = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            members = tuple(dict.fromkeys(m for m in (_clean(e) for e in line.split(";")) if m))
            if 2 <= len(members) <= max_set_size:
                sets.append(members)
        return cls(sets)

    @classmethod
    def from_file(cls, path: Path) -> "Thesaurus":
        return cls.from_text(path.read_text(encoding="utf-8", errors="replace"))

    def related(self, word: str) -> set[str]:
        """Members of every set holding ``word`` or its lemma, without the word itself."""
        keys = {word.casefold(), lemma(word).casefold()}
        out: set[str] = set()
        for key in keys:
            for number in self._by_word.get(key, ()):
                out.update(self.sets[number])
        return {m for m in out if m.casefold() not in keys}


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus:
    """The installed OpenThesaurus; empty when none is installed."""
    for path in DEFAULT_PATHS:
        if path.is_file():
            thesaurus = Thesaurus.from_file(path)
            log.info("thesaurus: %d synonym sets from %s", len(thesaurus), path)
            return thesaurus
    log.warning("no OpenThesaurus file found (install Debian's openthesaurus-de-text): no synonyms")
    return Thesaurus([])
