"""German lemmas from simplemma (MIT): "Wohnungen" -> "Wohnung", "angerechnet" -> "anrechnen".

Used on the query side of the lexical index (and by answerability) so an inflected question word
meets the corpus's form of it. The dictionary loads once per process (a few seconds), on first
use; without simplemma every word is its own lemma.
"""
from __future__ import annotations

import logging
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _lemmatizer():
    try:
        import simplemma
    except ImportError:  # the package is a dependency; a broken install degrades, never fails
        log.warning("simplemma is not installed: no German lemmas")
        return None
    return simplemma.lemmatize


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The German lemma of ``word`` (the word itself when simplemma does not know it)."""
    lemmatize = _lemmatizer()
    if lemmatize is None or not word:
        return word
    try:
        return lemmatize(word, lang="de") or word
    except (ValueError, KeyError):
        return word
