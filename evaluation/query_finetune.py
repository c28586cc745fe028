"""Query-side fine-tuning of the e5 encoder on pairs mined from the corpus (an experiment).

Issue 13, item 5, the step past the linear adapter (``evaluation.query_adapter``): the whole
encoder (its twelve layers; the word embeddings stay frozen) is trained so that the mined
queries (a Weisung Rz.'s margin note, its first sentence, a defined term) land on their
passages. Only the question side changes: the loss is a softmax over the *stored* vectors of
every passage of the index, so nothing is re-embedded, and the guard for general German is
a low learning rate and one epoch (naive structural pairs over a few epochs halved dense
recall, see DEVELOPERS.md). Seeded, so the same corpus gives the same encoder; about a
minute per epoch on 2 cores for 1,500 pairs.

``python -m evaluation ablation GOLD --finetune`` adds it as one more row. It did not win on
the tuning half and is not used by the assistant (README, "Tried and not kept").
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from evaluation.query_adapter import DEFAULT_SOURCES, training_set
from fundstelle.e5_numpy import NumpyE5Embedder
from index.query_encoder import fit_query_encoder

log = logging.getLogger(__name__)


def finetune_query_encoder(index, model_dir, sources: Sequence[str] = DEFAULT_SOURCES, *, lr: float = 3e-6,
                           epochs: int = 1, temperature: float = 0.02, batch_size: int = 32,
                           seed: int = 0) -> tuple[Callable[[Sequence[str]], np.ndarray], dict]:
    """Train the encoder's twelve layers of the sentence-transformers model in ``model_dir`` (the
    ``e5-torch`` export) on the pairs of ``index`` (a ``ChunkIndex``), one run with ``seed``
    (``index.query_encoder.fit_query_encoder``). Returns ``(encode, info)``: ``encode(questions)``
    gives their normalised vectors from the tuned encoder (the NumPy engine over its layers)."""
    data = training_set(index, sources)
    started = time.perf_counter()
    epoch_losses: list[float] = []
    layers = fit_query_encoder(Path(model_dir), [pair.query for pair in data.pairs], data.positives,
                               data.passages, seeds=1, first_seed=seed, rate=lr, epochs=epochs,
                               temperature=temperature, batch=batch_size, layers=12,
                               on_epoch=lambda _seed, _epoch, loss: epoch_losses.append(round(loss, 3)))
    info = {"pairs": data.counts(), "train_s": round(time.perf_counter() - started, 1),
            "epoch_losses": epoch_losses}
    log.info("query encoder fine-tuned: %s", info)
    engine = NumpyE5Embedder.with_layers(Path(model_dir), layers)

    def encode(questions: Sequence[str]) -> np.ndarray:
        if not questions:
            return np.zeros((0, data.passages.shape[1]), np.float32)
        return np.stack(engine.embed_queries(list(questions))).astype(np.float32)

    return encode, info
