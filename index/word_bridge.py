"""The word bridge: German keywords for questions in other languages.

The keyword index only knows the corpus's German words, so an English, Ukrainian, Turkish or
Arabic question reaches it only through the German terms it happens to contain
("Bürgergeld"). The bridge gives it the rest: every word of the corpus (four letters or more,
at least twice in the corpus) is embedded once by the index's own model, and a question word
that the keyword index does not know is replaced by the corpus words nearest to it
("unemployment" → "Arbeitslosen", "Arbeitslosengeldes"; "Arabamı" → "Kraftfahrzeuges").
Nothing is hand-written and no dictionary is needed: the words come from the corpus, the
alignment from the multilingual model.

    words = corpus_words(texts)                       # the write path, once per content version
    bridge = WordBridge(words, vectors)               # vectors: the words' passage embeddings
    bridge.translate(["unemployment"], embedder)      # -> ["Arbeitslosen", "Arbeitslosengeldes"]

The write path (``IndexWriter.embed_pending``) stores the word list in the chunk store's meta
(``META_KEY``, with the store version it was read from) and the vectors beside the sentence
vectors, so snapshots carry both; retrieval uses the bridge only once every word has its vector.
"""
from __future__ import annotations

import json
import re
import threading
from collections import Counter, OrderedDict
from typing import Iterable, Sequence

import numpy as np

META_KEY = "word_bridge"
MIN_LETTERS = 4
MIN_COUNT = 2
# A word of four letters or more, a hyphenated compound counted as one ("Bürgergeld-Gesetz").
_WORD = re.compile(r"[^\W\d_]{%d,}(?:-[^\W\d_]+)*" % MIN_LETTERS)


def corpus_words(texts: Iterable[str], min_count: int = MIN_COUNT) -> list[str]:
    """The corpus's words as written (case kept), at least ``min_count`` times, sorted."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(_WORD.findall(text))
    return sorted(word for word, n in counts.items() if n >= min_count)


def question_words(question: str) -> list[str]:
    """The words of a question the bridge may translate, in order, each once."""
    return list(dict.fromkeys(_WORD.findall(question)))


def meta_value(words: Sequence[str], version: str) -> str:
    return json.dumps({"version": version, "words": list(words)}, ensure_ascii=False)


def read_meta(value: str | None) -> tuple[str, list[str]]:
    """(store version, words) of a stored word list; ("", []) when there is none or it is unreadable."""
    if not value:
        return "", []
    try:
        data = json.loads(value)
        return str(data["version"]), [str(w) for w in data["words"]]
    except (ValueError, KeyError, TypeError):
        return "", []


class WordBridge:
    """Nearest corpus words for foreign question words, by cosine of their embeddings."""

    CACHE_SIZE = 10_000   # question words whose vectors are kept (15 MB): questions repeat their words

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        if len(words) != len(vectors):
            raise ValueError(f"{len(words)} words but {len(vectors)} vectors")
        self.words = list(words)
        self.matrix = np.asarray(vectors, dtype=np.float32)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _vectors(self, words: Sequence[str], embedder) -> np.ndarray:
        with self._lock:
            known = {w: self._cache[w] for w in words if w in self._cache}
            for w in known:
                self._cache.move_to_end(w)
        missing = [w for w in words if w not in known]
        if missing:
            fresh = dict(zip(missing, np.asarray(embedder.embed_passages(missing), dtype=np.float32)))
            known.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.stack([known[w] for w in words])

    def __len__(self) -> int:
        return len(self.words)

    def translate(self, words: Sequence[str], embedder, top: int = 2,
                  min_similarity: float = 0.88) -> dict[str, list[str]]:
        """For each of ``words``, the ``top`` nearest corpus words with a cosine of at least
        ``min_similarity`` (words and corpus words are both embedded as passages: one batched
        call for the question's words not seen before)."""
        if not words or not len(self.words) or top <= 0:
            return {}
        similarities = self._vectors(list(words), embedder) @ self.matrix.T
        out: dict[str, list[str]] = {}
        for word, row in zip(words, similarities):
            best = np.argpartition(-row, min(top, len(row) - 1))[:top]
            best = best[np.argsort(-row[best])]
            found = [self.words[j] for j in best if row[j] >= min_similarity]
            if found:
                out[word] = found
        return out
