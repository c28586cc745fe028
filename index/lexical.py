"""German BM25 index (bm25s + Snowball stemmer) over the same chunks as the Chroma collection.

It is rebuilt from the collection at the end of every ingest run and saved with the
collection's content version (a hash of all chunk ids), so retrieval can tell when the
two disagree and reload or rebuild.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

import numpy as np

from index.folders import replaced_folder

from index.german import CompoundSplitter, fold, stem, surface_words, tokenize_german
from index.spelling import SpellingNeighbours

log = logging.getLogger(__name__)

LEXICAL_FORMAT = "2"


def top_positions(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` highest positive ``scores`` (only where ``mask`` is true, when
    given), best first, ties by position. A partial selection, linear in ``len(scores)``: a
    full argsort of a million scores alone costs ~60 ms."""
    if mask is not None:
        scores = np.where(mask, scores, 0.0)
    if k <= 0 or not scores.size:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(scores, scores.size - k)[-k:] if k < scores.size else np.arange(scores.size)
    top = top[scores[top] > 0]
    return top[np.lexsort((top, -scores[top]))]


class LexicalIndex:
    """BM25 over chunk texts; ``search`` returns (chunk id, score) best first."""

    def __init__(self, ids: list[str], retriever, splitter: CompoundSplitter, version: str) -> None:
        self.ids = ids
        self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        self._retriever = retriever
        self._splitter = splitter
        self._spelling_neighbours: SpellingNeighbours | None = None
        self.version = version

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, chunk_id: str) -> int | None:
        """The chunk's place in ``ids`` (and in every per-chunk array), None if not indexed."""
        return self._position.get(chunk_id)

    @property
    def positions(self) -> Mapping[str, int]:
        """Every chunk's place in ``ids``, read-only."""
        return MappingProxyType(self._position)

    @staticmethod
    def content_version(ids: Iterable[str]) -> str:
        digest = hashlib.sha256()
        for chunk_id in sorted(ids):
            digest.update(chunk_id.encode("utf-8") + b"\n")
        return digest.hexdigest()[:20]

    def tokens(self, text: str) -> list[str]:
        """The index's own tokens of ``text`` (stems, with compound parts the corpus knows)."""
        return self._tokens(text)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Token -> id of every token the indexed corpus uses."""
        return self._retriever.vocab_dict if self._retriever is not None else {}

    def token_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk (in ``ids`` order) for ``tokens``.

        Sparse: only the postings of the query's tokens are touched (bm25s's own scoring
        without numba accumulates them through ``np.add.at``, several times slower)."""
        if not tokens or self._retriever is None:
            return np.zeros(len(self.ids), dtype=np.float32)
        retriever = self._retriever
        if getattr(retriever, "nonoccurrence_array", None) is not None:
            # BM25 variants that also score chunks without a term are not sparse.
            return np.asarray(retriever.get_scores(tokens), dtype=np.float32)
        matrix = retriever.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        scores = np.zeros(len(self.ids), dtype=np.float32)
        # A token given twice counts twice, as in bm25s; within one token a chunk occurs once,
        # so a plain fancy-index add is exact.
        for token_id in retriever.get_tokens_ids(tokens):
            start, end = int(indptr[token_id]), int(indptr[token_id + 1])
            scores[indices[start:end]] += data[start:end]
        return scores

    def document_frequency(self, token: str) -> int:
        """How many chunks hold ``token`` (one of the index's own tokens; 0 for an unknown one)."""
        token_id = self.vocabulary.get(token)
        if token_id is None:
            return 0
        indptr = self._retriever.scores["indptr"]
        return int(indptr[token_id + 1] - indptr[token_id])

    def document_share(self, token: str) -> float:
        """The share of the indexed chunks that hold ``token`` (0.0 for an unknown one or an empty index)."""
        return self.document_frequency(token) / len(self.ids) if self.ids else 0.0

    def rarest_tokens(self, text: str, count: int) -> list[str]:
        """The text's stems (``tokenize_german``, digits left out) that the fewest chunks hold,
        of those the corpus has: the ``count`` rarest and every one as rare as the last of
        them, in the text's order, so that word order never decides between equals."""
        frequency = {t: self.document_frequency(t) for t in tokenize_german(text) if not t.isdigit()}
        counts = sorted(n for n in frequency.values() if n)
        if not counts or count < 1:
            return []
        limit = counts[min(count, len(counts)) - 1]
        return [t for t, n in frequency.items() if 0 < n <= limit]

    def _tokens(self, text: str) -> list[str]:
        tokens = tokenize_german(text)
        for word in surface_words(text):
            for part in self._splitter.parts(word):
                tokens.append(fold(stem(part)))
        return tokens

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str]) -> "LexicalIndex":
        import bm25s

        vocabulary: dict[str, int] = {}
        for text in texts:
            for word in surface_words(text):
                vocabulary[word] = vocabulary.get(word, 0) + 1
        splitter = CompoundSplitter(w for w, n in vocabulary.items() if n >= 2)
        index = cls(list(ids), None, splitter, cls.content_version(ids))
        corpus_tokens = [index._tokens(t) or [""] for t in texts]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        if corpus_tokens:
            retriever.index(corpus_tokens, show_progress=False)
        index._retriever = retriever
        return index

    def search(self, query: str, k: int = 10, allowed: set[str] | None = None,
               mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Best ``k`` (chunk id, score); only chunks in ``allowed`` (ids) or where ``mask`` (a
        boolean array in ``self.ids`` order) is true, when given."""
        if not self.ids:
            return []
        tokens = self._tokens(query)
        if not tokens:
            return []
        scores = self.token_scores(tokens)
        if allowed is not None:
            by_id = np.zeros(len(self.ids), dtype=bool)
            for chunk_id in allowed:
                pos = self._position.get(chunk_id)
                if pos is not None:
                    by_id[pos] = True
            mask = by_id if mask is None else mask & by_id
        return [(self.ids[i], float(scores[i])) for i in top_positions(scores, k, mask)]

    def is_word(self, word: str) -> bool:
        """True when ``word`` (folded lower case) is written in the corpus as a word of its own,
        not only as the stem of one (the compound splitter's list: four letters or more, at
        least twice in the corpus)."""
        return word in self._splitter.vocabulary

    def known_fraction(self, text: str) -> float:
        """Share of the text's (non-stop-word) terms that occur in the indexed corpus."""
        tokens = tokenize_german(text)
        if not tokens or self._retriever is None:
            return 0.0
        vocabulary = self._retriever.vocab_dict
        return sum(1 for t in tokens if t in vocabulary) / len(tokens)

    def unknown_terms(self, text: str, min_length: int = 8, tolerate_typos: bool = True,
                      first_word: bool = False) -> list[str]:
        """Specific nouns of the text the corpus never uses: capitalised words of at least
        ``min_length`` letters whose stem, surface form and compound parts are all unknown
        ("Rundfunkbeitrag", "Dortmund"). The first word counts only with ``first_word`` (in
        German every sentence begins with a capital). Short everyday words are ignored; with
        ``tolerate_typos`` so is a misspelt corpus word ("Bergketen"; ``index.spelling``)."""
        if self._retriever is None:
            return []
        vocabulary = self._retriever.vocab_dict
        unknown = []
        for position, word in enumerate(re.findall(r"[^\W\d_]+", text)):
            if (position == 0 and not first_word) or not word[0].isupper() or len(word) < min_length:
                continue
            lower = fold(word.casefold())
            if fold(stem(word.casefold())) in vocabulary or self.is_word(lower):
                continue
            if self._splitter.parts(lower):
                continue
            if tolerate_typos and self._spelling().has_neighbour(lower):
                continue
            unknown.append(word)
        return unknown

    def _spelling(self) -> SpellingNeighbours:
        """Surface words of the corpus for typo lookups (built on first use)."""
        if self._spelling_neighbours is None:
            self._spelling_neighbours = SpellingNeighbours(self._splitter.vocabulary)
        return self._spelling_neighbours

    def save(self, folder: Path) -> None:
        """Write atomically: a new folder is filled, then swapped in."""
        with replaced_folder(folder) as tmp:
            if self.ids:
                self._retriever.save(str(tmp / "bm25"))
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            (tmp / "vocabulary.json").write_text(json.dumps(sorted(self._splitter.vocabulary)), encoding="utf-8")
            (tmp / "manifest.json").write_text(json.dumps({"format": LEXICAL_FORMAT, "version": self.version,
                                                           "chunks": len(self.ids)}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex | None":
        """The saved index, or None when there is none (or it is from another format)."""
        manifest_path = folder / "manifest.json"
        if not manifest_path.exists():
            return None
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != LEXICAL_FORMAT:
                return None
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
            retriever = None
            if ids:
                import bm25s

                retriever = bm25s.BM25.load(str(folder / "bm25"))
            return cls(ids, retriever, CompoundSplitter(vocabulary), manifest["version"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("lexical index at %s unreadable (%s); it will be rebuilt", folder, exc)
            return None
