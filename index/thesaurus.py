"""Everyday-to-legal synonyms from OpenThesaurus (LGPL, Debian's ``openthesaurus-de-text``).

Citizens say "schwanger", the law says "werdende Mütter"; "umziehen" and "den Wohnsitz
wechseln" name one act. OpenThesaurus groups such words in synonym sets (one line each,
``;``-separated, with annotations in parentheses: "(ugs.)", "(fachspr.)"). ``related(word)``
gives the other members of the sets a word (or its lemma) belongs to. The lexical index adds
them to a query with a small weight and only where the corpus uses them, so they can add
matches but never take one away.

The file is installed by ``scripts/ensure-thesaurus.sh`` (with apt, or without it by
``index.thesaurus_deb`` from the same Debian package); without it there are no
synonyms (a warning in the log) and everything else works; answerability then uses the
coverage floor calibrated without synonyms (``retrieval.answerability.Thresholds``).
"""
from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from index.lemmas import lemma
from index.thesaurus_deb import installed_path
from index.sqlite_cache import open_read_only, write_table_file

log = logging.getLogger(__name__)

DEFAULT_PATHS = (Path("/usr/share/openthesaurus-de/openthesaurus.txt"),)
_ANNOTATION = re.compile(r"\([^()]*\)")
# Very large sets are loose associations ("kippen", "aufheben" and "kündigen" share one); a
# word in them says little about the others.
MAX_SET_SIZE = 25
STORED_FORMAT = "2"
# Endings of a nominalised adjective ("die Schwangere", "den Arbeitslosen", "ein Kranker").
_NOMINAL_ENDINGS = ("e", "en", "er", "es", "em")
_SEPARATOR = "\x1f"      # between the members of a stored set (no OpenThesaurus entry holds it)


def _clean(entry: str) -> str:
    return " ".join(_ANNOTATION.sub(" ", entry).replace("...", " ").split())


class Thesaurus:
    """Synonym sets, looked up by casefolded word or lemma."""

    def __init__(self, sets: list[tuple[str, ...]]) -> None:
        self.sets = sets
        self._by_word: dict[str, list[int]] = {}
        # Members written in lower case: adjectives, participles and verbs (German capitalises
        # nouns), the base a nominalised adjective is looked up by (``related``).
        self._lower_case: set[str] = set()
        for number, members in enumerate(sets):
            for member in members:
                self._by_word.setdefault(member.casefold(), []).append(number)
                if member[:1].islower() and " " not in member:
                    self._lower_case.add(member)

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
        keys = _keys(word) | {base for base in _adjective_candidates(word) if base in self._lower_case}
        out: set[str] = set()
        for key in keys:
            for number in self._by_word.get(key, ()):
                out.update(self.sets[number])
        return {m for m in out if m.casefold() not in keys}

    def save(self, path: Path) -> Path:
        """Write the sets into the SQLite file ``path`` (what ``StoredThesaurus`` reads)."""
        def fill(db: sqlite3.Connection) -> None:
            db.execute("CREATE TABLE sets (id INTEGER PRIMARY KEY, members TEXT NOT NULL)")
            db.execute("CREATE TABLE words (word TEXT NOT NULL, set_id INTEGER NOT NULL)")
            db.executemany("INSERT INTO sets VALUES (?, ?)",
                           ((n, _SEPARATOR.join(members)) for n, members in enumerate(self.sets)))
            db.executemany("INSERT INTO words VALUES (?, ?)",
                           ((word, n) for word, numbers in self._by_word.items() for n in numbers))
            db.execute("CREATE INDEX words_by_word ON words (word)")
            db.execute("CREATE TABLE lower_case (word TEXT PRIMARY KEY)")
            db.executemany("INSERT INTO lower_case VALUES (?)", ((w,) for w in sorted(self._lower_case)))

        return write_table_file(path, fill)


class StoredThesaurus:
    """The same synonym sets read from a SQLite file word by word (``Thesaurus.save``): the
    answering process starts without parsing 34,000 sets (half a second on two cores) and
    without holding them in memory."""

    def __init__(self, path: Path) -> None:
        self._db = open_read_only(path)
        self._lock = threading.Lock()
        self._count = int(self._db.execute("SELECT COUNT(*) FROM sets").fetchone()[0])

    def __len__(self) -> int:
        return self._count

    def related(self, word: str) -> set[str]:
        """Members of every set holding ``word`` or its lemma, without the word itself."""
        keys = _keys(word)
        with self._lock:
            candidates = sorted(_adjective_candidates(word))
            if candidates:
                keys |= {w for (w,) in self._db.execute(
                    f"SELECT word FROM lower_case WHERE word IN ({','.join('?' * len(candidates))})", candidates)}
            rows = self._db.execute(
                f"SELECT DISTINCT s.members FROM words w JOIN sets s ON s.id = w.set_id "
                f"WHERE w.word IN ({','.join('?' * len(keys))})", sorted(keys)).fetchall()
        out = {member for (members,) in rows for member in members.split(_SEPARATOR)}
        return {m for m in out if m.casefold() not in keys}

    @classmethod
    def for_file(cls, source: Path, cache_dir: Path) -> "StoredThesaurus":
        """The stored copy of the OpenThesaurus file ``source``, made on first use (keyed by
        the file's content, the set size limit and this format)."""
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
        path = cache_dir / f"openthesaurus-{digest}-{MAX_SET_SIZE}-v{STORED_FORMAT}.sqlite"
        if not path.is_file():
            log.info("storing OpenThesaurus %s in %s (once)", source, path)
            Thesaurus.from_file(source).save(path)
        return cls(path)


def _keys(word: str) -> set[str]:
    return {word.casefold(), lemma(word).casefold()}


def _adjective_candidates(word: str) -> set[str]:
    """What a capitalised word would be as the adjective it may be the nominalised form of
    ("Schwangere", "Arbeitslosen", "Kranker" -> "schwanger", "arbeitslos", "krank"): German
    declension endings stripped. The lemmatiser leaves such nouns as they are, the thesaurus
    lists the adjective; a candidate counts only where the thesaurus has it in lower case
    (German capitalises nouns, so "Kosten" -> "kost" does not reach "Kost")."""
    if not word[:1].isupper():
        return set()
    lower = word.casefold()
    return {lower[:-len(ending)] for ending in _NOMINAL_ENDINGS if lower.endswith(ending) and len(lower) > len(ending) + 2}


_models_dir: Path | None = None   # Settings.models_dir, handed in by the index that uses synonyms


def use_models_dir(models_dir: Path) -> None:
    """Keep the stored thesaurus under ``models_dir`` (``Settings.models_dir``) from now on.
    Called by ``ChunkIndex`` with its settings."""
    global _models_dir
    if models_dir != _models_dir:
        _models_dir = models_dir
        default_thesaurus.cache_clear()


_switched_off = False


@contextmanager
def switched_off():
    """Within the block, ``default_thesaurus`` is empty as on a machine without the file (the
    calibration measures answerability there; tests). Not for use while other threads answer."""
    global _switched_off
    saved = _switched_off
    _switched_off = True
    default_thesaurus.cache_clear()
    try:
        yield
    finally:
        _switched_off = saved
        default_thesaurus.cache_clear()


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus | StoredThesaurus:
    """The installed OpenThesaurus (its stored copy under ``<models dir>/openthesaurus``, or
    read into memory where that cannot be written); empty when none is installed."""
    from fundstelle.settings import DEFAULT_MODELS_DIR

    if _switched_off:
        return Thesaurus([])
    # The system's package first, then the copy ``index.thesaurus_deb`` took from the same
    # package where apt could not install it.
    for path in (*DEFAULT_PATHS, installed_path(_models_dir or DEFAULT_MODELS_DIR)):
        if path.is_file():
            try:
                thesaurus = StoredThesaurus.for_file(path, (_models_dir or DEFAULT_MODELS_DIR) / "openthesaurus")
            except (OSError, sqlite3.Error) as exc:
                log.warning("OpenThesaurus cannot be stored (%s): reading it into memory", exc)
                thesaurus = Thesaurus.from_file(path)
            log.info("thesaurus: %d synonym sets from %s", len(thesaurus), path)
            return thesaurus
    log.warning("no OpenThesaurus file found (bash scripts/ensure-thesaurus.sh installs it): no synonyms")
    return Thesaurus([])
