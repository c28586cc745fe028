"""German lemmas from simplemma (MIT): "Wohnungen" -> "Wohnung", "angerechnet" -> "anrechnen".

Used on the query side of the lexical index (and by answerability) so an inflected question word
meets the corpus's form of it. simplemma keeps its German dictionary (1.1 million forms) as a
compressed stream that takes three seconds and about 150 MB to unpack into a dict in every
process. Here it is unpacked once into a SQLite table (``.cache/models/simplemma/``, keyed by
the package version) and looked up there: a process that answers questions starts without the
wait and without the memory. Without simplemma every word is its own lemma.
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from index.sqlite_cache import open_read_only, write_table_file

log = logging.getLogger(__name__)

LANGUAGE = "de"


_models_dir: Path | None = None   # Settings.models_dir, handed in by the index that uses lemmas


def use_models_dir(models_dir: Path) -> None:
    """Keep the dictionary table under ``models_dir`` (``Settings.models_dir``) from now on.
    Called by ``ChunkIndex`` with its settings; lemmas do not depend on where the table is."""
    global _models_dir
    if models_dir != _models_dir:
        _models_dir = models_dir
        _dictionary.cache_clear()
        _lemmatizer.cache_clear()


def _cache_path() -> Path:
    from fundstelle.settings import DEFAULT_MODELS_DIR

    import simplemma

    base = _models_dir or DEFAULT_MODELS_DIR
    return base / "simplemma" / f"simplemma-{simplemma.__version__}-{LANGUAGE}.sqlite"


class SqliteDictionary(Mapping):
    """simplemma's word -> lemma dictionary read from a SQLite table, one lookup at a time."""

    def __init__(self, path: Path) -> None:
        self._db = open_read_only(path)
        self._lock = threading.Lock()

    def get(self, key, default=None):
        with self._lock:
            row = self._db.execute("SELECT lemma FROM forms WHERE form=?", (key,)).fetchone()
        return row[0] if row else default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            forms = [row[0] for row in self._db.execute("SELECT form FROM forms")]
        return iter(forms)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM forms").fetchone()[0])


def build_dictionary_cache(path: Path) -> Path:
    """Unpack simplemma's German dictionary into ``path`` (atomically, see ``write_table_file``)."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    dictionary = DefaultDictionaryFactory(cache_max_size=1).get_dictionary(LANGUAGE)

    def fill(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE forms (form TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID")
        db.executemany("INSERT INTO forms VALUES (?, ?)", dictionary.items())

    return write_table_file(path, fill)


class _SqliteDictionaryFactory:
    """simplemma's ``DictionaryFactory`` protocol over the SQLite copy (German only)."""

    def __init__(self, dictionary: SqliteDictionary) -> None:
        self._dictionary = dictionary

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        if lang != LANGUAGE:
            raise ValueError(f"only '{LANGUAGE}' is cached here, not '{lang}'")
        return self._dictionary


@lru_cache(maxsize=1)
def _dictionary() -> "SqliteDictionary | None":
    """The German dictionary table (unpacked on first use); None where it cannot be written."""
    try:
        path = _cache_path()
        if not path.is_file():
            log.info("unpacking simplemma's German dictionary into %s (once)", path)
            build_dictionary_cache(path)
        return SqliteDictionary(path)
    except (OSError, sqlite3.Error) as exc:
        log.warning("simplemma dictionary cache unavailable (%s): using the in-memory dictionary", exc)
        return None


@lru_cache(maxsize=1)
def _lemmatizer():
    try:
        import simplemma
        from simplemma.strategies import DefaultStrategy
    except ImportError:  # the package is a dependency; a broken install degrades, never fails
        log.warning("simplemma is not installed: no German lemmas")
        return None
    dictionary = _dictionary()
    if dictionary is None:
        # A read-only checkout still lemmatises, with simplemma's own in-memory dictionary.
        return simplemma.lemmatize
    strategy = DefaultStrategy(dictionary_factory=_SqliteDictionaryFactory(dictionary))
    return simplemma.Lemmatizer(lemmatization_strategy=strategy).lemmatize


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The German lemma of ``word`` (the word itself when simplemma does not know it)."""
    lemmatize = _lemmatizer()
    if lemmatize is None or not word:
        return word
    try:
        return lemmatize(word, lang=LANGUAGE) or word
    except (ValueError, KeyError):
        return word


@lru_cache(maxsize=4096)
def is_word_of(word: str, language: str) -> bool:
    """Whether simplemma's dictionary of ``language`` holds ``word`` (as written or in lower
    case): "Rundfunkbeitrag" is German and not English, "Netherlands" English and not German,
    "Germany" both. German is looked up in the table above; other languages load simplemma's
    own dictionary on first use (English: about 0.1 s). False for a language simplemma lacks."""
    if not word:
        return False
    if language == LANGUAGE:
        dictionary = _dictionary()
        if dictionary is not None:
            return word in dictionary or word.lower() in dictionary
    try:
        import simplemma

        return bool(simplemma.is_known(word, lang=language))
    except (ImportError, ValueError, KeyError):
        return False
