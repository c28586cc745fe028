"""The query adapter: question vectors moved toward the corpus's own language.

The small e5 model puts "Termin beim Jobcenter verpasst" far from "Meldeversäumnis". A linear
map ``W`` (dim × dim, near the identity) is learnt from training questions written in citizens'
words, each labelled with the unit that answers it (``corpus/training/*.jsonl``: units outside
every evaluation set), against the index's own stored passage vectors: a softmax over every passage,
the labelled unit's parts the positives, an L2 penalty keeping ``W`` near the identity (the guard
for general questions). Passages keep their vectors; nothing is re-embedded.

Used by the search (``retrieval.search``) as a second opinion, not a replacement: the plain
search keeps its first places and a search with the question vector plus its adapted vector
(``mixed_vector``) fills the rest. Alone, the adapted vector raised recall@10 but lost recall@1
(README, "Twenty-third session").

Write path: ``IndexWriter.embed_pending`` fits it as its last step once every chunk has its vector
(``python -m ingest embed``, the app's background embedder, the evaluation indexes) and stores it
in the chunk store's meta (``META_KEY``) with what it was fitted from: the store version, the
model and the sha256 of the training questions, so snapshots carry it and it is fitted again only when
one of them changes. The fit is seeded: the same corpus and file give the same ``W``.

    questions = load_questions(path)                       # clear error naming file and line
    W = fit_adapter(question_vectors, positives, passages) # positives: rows of ``passages``
    stored = StoredAdapter(version, model, sha, len(used), W)
    store.set_meta(META_KEY, stored.to_meta())
    StoredAdapter.from_meta(store.get_meta(META_KEY)).mixed(vector)
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

META_KEY = "query_adapter"
# Fewer labelled questions than this whose unit the index holds (a test corpus, a different
# corpus): no adapter, the search stays plain.
MIN_QUESTIONS = 50
# The L2 penalty on W − I, chosen on a fifth of the *training* units held out (dense recall@5
# there 0.399 → 0.541 with 0.03; 0.01: 0.524, 0.1: 0.536, 0.3: 0.515, 1: 0.511; README,
# "Twenty-fourth session"), never on an evaluation set.
PENALTY = 0.03


class TrainingQuestionsError(ValueError):
    """The training questions file cannot be read (the message names file and line)."""


@dataclass(frozen=True)
class TrainingQuestion:
    question: str
    locator: str   # the label of the unit that answers it ("§ 24 Abs. 1 SGB II")


def training_files(path: Path) -> list[Path]:
    """``path`` itself, or the ``*.jsonl`` files of the folder ``path`` in name order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise TrainingQuestionsError(f"{path}: no training questions (*.jsonl) in this folder")
        return files
    if not path.is_file():
        raise TrainingQuestionsError(f"{path}: training questions not found")
    return [path]


def load_questions(path: Path) -> list[TrainingQuestion]:
    """The questions of a JSON-lines file of ``{"question", "locator", ...}`` objects, or of
    every such file in the folder ``path``."""
    return [question for file in training_files(path) for question in _questions_of_file(file)]


def _questions_of_file(path: Path) -> list[TrainingQuestion]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainingQuestionsError(f"{path}: cannot read training questions ({exc})") from exc
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            question, locator = data["question"], data["locator"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TrainingQuestionsError(f"{path}, line {number}: not an object with 'question' and 'locator'") from exc
        if not isinstance(question, str) or not isinstance(locator, str) or not question.strip() or not locator.strip():
            raise TrainingQuestionsError(f"{path}, line {number}: 'question' and 'locator' must be non-empty text")
        out.append(TrainingQuestion(question.strip(), locator.strip()))
    return out


def questions_sha256(path: Path) -> str:
    """One hash of the training questions (their files' names and contents)."""
    digest = hashlib.sha256()
    for file in training_files(path):
        digest.update(file.name.encode("utf-8") + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def fit_adapter(query_vectors: np.ndarray, positives: Sequence[Sequence[int]], passages: np.ndarray, *,
                penalty: float = PENALTY, epochs: int = 10, rate: float = 1e-3, temperature: float = 0.05,
                batch: int = 256, seed: int = 0) -> np.ndarray:
    """``W`` (dim × dim): softmax over all ``passages`` rows, the positives' mass maximised,
    ``penalty`` · ‖W − I‖² keeping it near the identity. Seeded, so deterministic on one machine."""
    import torch

    torch.manual_seed(seed)
    queries = torch.tensor(np.asarray(query_vectors, dtype=np.float32))
    matrix = torch.tensor(np.asarray(passages, dtype=np.float32))
    dim = queries.shape[1]
    delta = torch.zeros(dim, dim, requires_grad=True)
    optimiser = torch.optim.Adam([delta], lr=rate)
    target = torch.zeros(len(positives), matrix.shape[0])
    for row, cols in enumerate(positives):
        target[row, list(cols)] = 1.0 / len(cols)
    for _ in range(epochs):
        order = torch.randperm(len(positives))
        for start in range(0, len(positives), batch):
            rows = order[start:start + batch]
            adapted = queries[rows] + queries[rows] @ delta
            adapted = adapted / adapted.norm(dim=1, keepdim=True)
            log_p = torch.log_softmax(adapted @ matrix.T / temperature, dim=1)
            loss = -(log_p * target[rows]).sum(dim=1).mean() + penalty * (delta ** 2).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return (torch.eye(dim) + delta.detach()).numpy()


def adapt(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``vector · W``, normalised."""
    out = np.asarray(vector, dtype=np.float32) @ matrix
    return (out / (np.linalg.norm(out) or 1.0)).astype(np.float32)


def mixed_vector(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """The question vector plus its adapted vector, normalised: the adapter's say is bounded
    by the plain vector's."""
    plain = np.asarray(vector, dtype=np.float32)
    plain = plain / (np.linalg.norm(plain) or 1.0)
    mixed = plain + adapt(matrix, plain)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


@dataclass(frozen=True)
class StoredAdapter:
    """A fitted ``W`` with what it was fitted from."""

    version: str            # the chunk store's content version
    model: str              # the embedding model of the passage vectors
    questions_sha256: str   # of the training questions file
    questions: int          # labelled questions whose unit the index holds (those fitted on)
    matrix: np.ndarray

    def fits(self, version: str, model: str, questions_sha256: str | None = None) -> bool:
        return (self.version == version and self.model == model
                and (questions_sha256 is None or self.questions_sha256 == questions_sha256))

    def mixed(self, vector: np.ndarray) -> np.ndarray:
        return mixed_vector(self.matrix, vector)

    def to_meta(self) -> str:
        matrix = np.ascontiguousarray(self.matrix, dtype=np.float32)
        return json.dumps({"version": self.version, "model": self.model, "questions_sha256": self.questions_sha256,
                           "questions": self.questions, "dim": int(matrix.shape[0]),
                           "matrix": base64.b64encode(matrix.tobytes()).decode("ascii")})

    @classmethod
    def from_meta(cls, value: str | None) -> "StoredAdapter | None":
        """The stored adapter; None when there is none or it is unreadable (logged)."""
        if not value:
            return None
        try:
            data = json.loads(value)
            dim = int(data["dim"])
            matrix = np.frombuffer(base64.b64decode(data["matrix"]), dtype=np.float32).reshape(dim, dim)
            return cls(str(data["version"]), str(data["model"]), str(data["questions_sha256"]),
                       int(data["questions"]), matrix.copy())
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("stored query adapter unreadable, not used: %s", exc)
            return None

    def describe(self) -> dict:
        """For manifests and ``ingest stats``: what it was fitted from, without the matrix."""
        return {"kind": "linear adapter", "questions": self.questions, "questions_sha256": self.questions_sha256,
                "model": self.model,
                "version": self.version,
                "distance_from_identity": round(float(np.linalg.norm(self.matrix - np.eye(len(self.matrix)))), 4)}
