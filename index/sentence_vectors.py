"""Sentence vectors: what the answerer and the verifier compare a question with, embedded once.

An answer quotes sentences of the retrieved passages; choosing and checking them compares
the question (and the answer sentences) with every sentence of those passages, and the
question of a Landtag Frage/Antwort chunk with the user's question. Embedding those texts
at question time cost ten times the question itself, so the write path embeds them right
after the chunk's own vector (``IndexWriter.embed_pending``) and stores them here:

* ``comparison_texts(chunk)`` names the texts: every sentence of the chunk
  (``fundstelle.sentences.split_sentences``), for Frage/Antwort chunks also the first answer
  sentence cut where the question ends (the answerer quotes it that way), and the question
  part as query-side text (question to question is compared query to query);
* ``SentenceVectors`` keeps the vectors in the chunk store's SQLite file, keyed by
  (model, side, sha256 of the text), and which chunks are done (for progress and resuming).
  Snapshots copy the chunk store file, so they carry the vectors;
* the norm profiles (``index.norm_index``) the norm route compares the question with are
  stored the same way (passage side, no chunk);
* ``StoredVectorEmbedder`` is what the answerer and the verifier embed with at question
  time: stored vectors where there are any, the model only for texts without one (an
  index still being built, an LLM's own sentence), so answers never depend on completion.
"""
from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from fundstelle.sentences import split_sentences, table_rows
from index.store import open_database

PASSAGE = "p"
QUERY = "q"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    model TEXT NOT NULL, side TEXT NOT NULL, key TEXT NOT NULL, vec BLOB NOT NULL,
    PRIMARY KEY (model, side, key));
CREATE TABLE IF NOT EXISTS sentence_chunks (
    chunk_id TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (chunk_id, model));
"""


def question_end(text: str) -> int:
    """End of the leading question part of a Landtag Frage/Antwort chunk ("3. Welche …? (Bitte …)")."""
    end = 0
    for start, stop in split_sentences(text):
        if text[start:stop].strip().endswith("?"):
            end = stop
        elif end or start > 600:
            break
    # A request in parentheses after the question ("(Bitte … ausweisen)") is part of it.
    aside = re.match(r"\s*\([^()]{0,400}\)", text[end:]) if end else None
    return end + aside.end() if aside else end


def is_question_answer(chunk: Any) -> bool:
    """A Landtag chunk that holds one question and its answer."""
    return chunk.kind == "landtag" and bool((chunk.locator or {}).get("frage"))


def answer_spans(chunk: Any) -> list[tuple[int, int]]:
    """The sentence spans of ``chunk.text`` an answer may quote: every sentence, except that
    in a Frage/Antwort chunk the question part is left out (a sentence that straddles its
    end starts after it)."""
    text = chunk.text
    answer_start = question_end(text) if is_question_answer(chunk) else 0
    out = []
    for start, end in split_sentences(text):
        if end <= answer_start:
            continue
        start = max(start, answer_start)
        while start < end and text[start].isspace():
            start += 1
        out.append((start, end))
    return out


def comparison_texts(chunk: Any) -> tuple[list[str], list[str]]:
    """(passage-side texts, query-side texts) of ``chunk`` that questions are compared with."""
    text = chunk.text
    passages = [text[s:e] for s, e in split_sentences(text)]          # the verifier's sentences
    passages += [text[s:e] for s, e in answer_spans(chunk)]           # the answerer's candidates
    # Rows of a law table are candidates as read with their header (``table_rows``).
    passages += [reading for s, e in answer_spans(chunk) if "|" in text[s:e] for _, _, reading in table_rows(text, s, e)]
    # The answerer compares the question part as it finds it (empty when none is recognised).
    queries = [text[:question_end(text)]] if is_question_answer(chunk) else []
    return list(dict.fromkeys(passages)), queries


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SentenceVectors:
    """Sentence vectors and done-markers in the chunk store file ``path``; thread-safe."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, model: str, side: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of those ``texts`` that have one, by text."""
        by_key = {text_key(t): t for t in texts}
        keys = list(by_key)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = self._db.execute(
                    f"SELECT key, vec FROM sentence_vectors WHERE model=? AND side=? "
                    f"AND key IN ({','.join('?' * len(part))})", [model, side, *part]).fetchall()
                found.update({by_key[k]: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return found

    def put(self, model: str, vectors: Iterable[tuple[str, str, np.ndarray]], done: Sequence[str]) -> None:
        """Store (side, text, vector) triples and mark the chunks ``done``, in one transaction
        (a killed run leaves whole chunks: the next run does the rest)."""
        rows = [(model, side, text_key(text), np.asarray(vec, dtype=np.float32).tobytes())
                for side, text, vec in vectors]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?, ?, ?)", rows)
            self._db.executemany("INSERT OR REPLACE INTO sentence_chunks VALUES (?, ?)", [(c, model) for c in done])

    def done(self, model: str, chunk_ids: Sequence[str]) -> set[str]:
        """Which of ``chunk_ids`` have their sentence vectors for ``model``."""
        out: set[str] = set()
        ids = list(chunk_ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                out.update(r[0] for r in self._db.execute(
                    f"SELECT chunk_id FROM sentence_chunks WHERE model=? AND chunk_id IN ({','.join('?' * len(part))})",
                    [model, *part]))
        return out

    def progress(self, model: str) -> tuple[int, int]:
        """(chunks of the store with sentence vectors for ``model``, chunks in the store)."""
        with self._lock:
            done = self._db.execute("SELECT COUNT(*) FROM sentence_chunks s JOIN chunks c ON c.id = s.chunk_id "
                                    "WHERE s.model=?", (model,)).fetchone()[0]
            total = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return int(done), int(total)


class StoredVectorEmbedder:
    """The embedder interface over stored sentence vectors: ``embed_passages`` and
    ``embed_query`` return the stored vector of a text when there is one and ask ``inner``
    (the index's model) only for the others. ``fallback_texts`` counts those."""

    def __init__(self, inner, vectors: SentenceVectors, model: str) -> None:
        self.inner = inner
        self.vectors = vectors
        self.model = model
        self.name = inner.name
        self.dim = inner.dim
        self.fallback_texts = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        found = self.vectors.get(self.model, PASSAGE, texts) if texts else {}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            self.fallback_texts += len(missing)
            found.update(zip(missing, self.inner.embed_passages(missing)))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        found = self.vectors.get(self.model, QUERY, [text])
        if text in found:
            return found[text]
        self.fallback_texts += 1
        return self.inner.embed_query(text)
