"""The query encoder fine-tuned on the corpus: the e5 model's question side, taught citizens' words.

The small e5 model puts "Termin beim Jobcenter verpasst" far from "Meldeversäumnis". The linear
query adapter (``index.query_adapter``) moves question vectors with one matrix; this module
trains the encoder's twelve layers themselves (word embeddings frozen) on the same training
questions (``corpus/training/*.jsonl``: citizen-style questions, each labelled with the unit that
answers it, units outside every evaluation set). Only the question side changes: the loss is a
softmax over the index's *stored* passage vectors (the labelled unit's parts the positives), so no
passage is re-embedded and the index stays valid.

The settings were chosen on a fifth of the training units held out, never on an evaluation set
(README, "Twenty-fifth session"): dense recall@1 / @5 there 0.249 / 0.399 plain, 0.330 / 0.541
with the linear adapter, 0.399 / 0.665 with this encoder (rate 5e-5, two epochs, temperature
0.01); about 35 s per epoch for 1,200 questions on two cores. The guard for general questions is
the search's use of it: a second opinion that fills the places after the plain search's first
three (``retrieval.search``), never the places answerability reads.

Write path: ``IndexWriter.fit_query_adapter`` trains it for the bundled e5 model (the linear
adapter for any other) once every chunk has its vector, and stores the tuned layers (float16) in
the chunk store's meta with what they were trained from: store version, model, sha256 of the
training questions. Snapshots carry it; it is trained again only when one of those changes.
Seeded: the same corpus and questions give the same layers on one machine.

    layers = fit_query_encoder(model_dir, questions, positives, passages)
    stored = StoredQueryEncoder(version, model, sha, len(questions), layers)
    store.set_meta(META_KEY, stored.meta()); store.set_meta(LAYERS_KEY, stored.packed_layers())
"""
from __future__ import annotations

import base64
import io
import json
import logging
import random
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

META_KEY = "query_encoder"            # what it was trained from (small JSON)
LAYERS_KEY = "query_encoder_layers"   # the tuned tensors (base64 of a float16 .npz)
QUERY_PREFIX = "query: "
LAYER_PREFIX = "encoder.layer."
# Chosen on held-out training units (module doc): temperature 0.05 reached recall@5 0.558–0.575
# at rates 2e-5–1e-4, 0.02 0.635–0.639, 0.01 0.665–0.670; a third epoch lost at every setting.
RATE = 5e-5
EPOCHS = 2
TEMPERATURE = 0.01
BATCH = 32
# Runs (seeds) averaged into one encoder. One run's recall@5 on the wider tuning set moved by up
# to 0.056 with the seed and the order of the question files (0.742–0.798); the average of the
# runs' layers holds the middle (README, "Twenty-fifth session").
SEEDS = 3
# Stored with the layers: a change of the recipe trains again.
RECIPE = f"rate={RATE} epochs={EPOCHS} temperature={TEMPERATURE} batch={BATCH} seeds={SEEDS}"


def fit_query_encoder(model_dir: Path, questions: Sequence[str], positives: Sequence[Sequence[int]],
                      passages: np.ndarray, *, seeds: int = SEEDS, before_step: Callable[[], None] | None = None,
                      **settings) -> dict[str, np.ndarray]:
    """Train copies of the sentence-transformers model in ``model_dir`` so that each question
    lands on its positives (rows of ``passages``), one per seed, and average their layers (a
    "model soup": runs from the same start at a low rate average into one model that is as good
    as an ensemble of them and costs one at question time); returns the tuned encoder layers
    (float32, named as in the model's ``model.safetensors``). ``before_step`` is called before
    every training step (the background embedder waits there while questions are answered, and
    stops there when asked)."""
    runs = [_fit_one(model_dir, questions, positives, passages, seed=seed, before_step=before_step, **settings)
            for seed in range(seeds)]
    return {name: np.mean([run[name] for run in runs], axis=0).astype(np.float32) for name in runs[0]}


def _fit_one(model_dir: Path, questions: Sequence[str], positives: Sequence[Sequence[int]], passages: np.ndarray, *,
             rate: float = RATE, epochs: int = EPOCHS, temperature: float = TEMPERATURE, batch: int = BATCH,
             seed: int = 0, before_step: Callable[[], None] | None = None) -> dict[str, np.ndarray]:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    order = random.Random(seed)
    model = SentenceTransformer(str(model_dir), device="cpu")
    encoder, tokenizer = model[0].auto_model, model.tokenizer
    for name, parameter in encoder.named_parameters():
        parameter.requires_grad = name.startswith(LAYER_PREFIX)
    matrix = torch.tensor(np.asarray(passages, dtype=np.float32))
    examples = list(zip(questions, positives))
    optimiser = torch.optim.AdamW([p for p in encoder.parameters() if p.requires_grad], lr=rate, weight_decay=0.0)
    started = time.perf_counter()
    encoder.train()
    for epoch in range(epochs):
        order.shuffle(examples)
        losses = []
        for start in range(0, len(examples), batch):
            if before_step:
                before_step()
            part = examples[start:start + batch]
            tokens = tokenizer([QUERY_PREFIX + q for q, _ in part], padding=True, truncation=True, max_length=128,
                               return_tensors="pt")
            hidden = encoder(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).float()
            vectors = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            logits = vectors @ matrix.T / temperature
            positive = torch.zeros_like(logits, dtype=torch.bool)
            for row, (_, cols) in enumerate(part):
                positive[row, list(cols)] = True
            loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~positive, -1e9), 1)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        log.info("query encoder, seed %d: epoch %d, loss %.3f (%.0f s)", seed, epoch + 1, float(np.mean(losses)),
                 time.perf_counter() - started)
    return {name: tensor.detach().numpy().astype(np.float32)
            for name, tensor in encoder.state_dict().items() if name.startswith(LAYER_PREFIX)}


def mixed_vector(plain: np.ndarray, tuned: np.ndarray) -> np.ndarray:
    """The plain question vector plus the tuned encoder's, normalised: the tuned encoder's say is
    bounded by the plain vector's (measured better than the tuned vector alone, README)."""
    plain = np.asarray(plain, dtype=np.float32)
    tuned = np.asarray(tuned, dtype=np.float32)
    mixed = plain / (np.linalg.norm(plain) or 1.0) + tuned / (np.linalg.norm(tuned) or 1.0)
    return (mixed / (np.linalg.norm(mixed) or 1.0)).astype(np.float32)


def pack_layers(layers: dict[str, np.ndarray]) -> str:
    """The layers as text for the chunk store's meta (float16: half the size, cosine to the
    float32 vectors above 0.9999)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(t, dtype=np.float16) for name, t in sorted(layers.items())})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def unpack_layers(text: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) as data:
        return {name: data[name].astype(np.float32) for name in data.files}


@dataclass(frozen=True)
class StoredQueryEncoder:
    """Tuned encoder layers with what they were trained from."""

    version: str            # the chunk store's content version
    model: str              # the embedding model of the passage vectors
    questions_sha256: str   # of the training questions
    questions: int          # labelled questions whose unit the index holds (those trained on)
    layers: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    recipe: str = RECIPE    # the training settings

    def fits(self, version: str, model: str, questions_sha256: str | None = None) -> bool:
        return (self.version == version and self.model == model and self.recipe == RECIPE
                and (questions_sha256 is None or self.questions_sha256 == questions_sha256))

    def meta(self) -> str:
        return json.dumps({"version": self.version, "model": self.model, "questions_sha256": self.questions_sha256,
                           "questions": self.questions, "recipe": self.recipe})

    @classmethod
    def from_meta(cls, value: str | None, layers: str | None = None) -> "StoredQueryEncoder | None":
        """What was stored (with its layers when ``layers`` is given); None when there is none or
        it is unreadable (logged)."""
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(str(data["version"]), str(data["model"]), str(data["questions_sha256"]),
                       int(data["questions"]), unpack_layers(layers) if layers else {}, str(data.get("recipe", "")))
        except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("stored query encoder unreadable, not used: %s", exc)
            return None

    def describe(self) -> dict:
        """For manifests and ``ingest stats``: what it was trained from, without the layers."""
        return {"kind": "query encoder", "questions": self.questions, "questions_sha256": self.questions_sha256,
                "model": self.model, "version": self.version,
                "recipe": self.recipe}
