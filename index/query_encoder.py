"""The query encoder fine-tuned on the corpus: the e5 model's question side, taught citizens' words.

The small e5 model puts "Termin beim Jobcenter verpasst" far from "Meldeversäumnis". The linear
query adapter (``index.query_adapter``) moves question vectors with one matrix; this module
trains the encoder's top layers themselves (``LAYERS`` of twelve; the word embeddings and the
layers below frozen) on the same training questions (``corpus/training/*.jsonl``: citizen-style
questions, each labelled with the unit that answers it, units outside every evaluation set).
Only the question side changes: the loss is a softmax over the index's *stored* passage vectors
of the units the training questions name (the labelled unit's parts the positives;
``NEGATIVES``), so no passage is re-embedded and the index stays valid. What the frozen layers
make of each question is computed once; the runs train the top layers on it.

The settings were chosen on a fifth of the training units held out, never on an evaluation set
(README, "Twenty-fifth session" and "Twenty-sixth session"): dense recall@1 / @5 there 0.249 /
0.399 plain, 0.330 / 0.541 with the linear adapter, 0.399 / 0.665 with all twelve layers tuned
(rate 5e-5, two epochs, temperature 0.01), 0.373–0.429 / 0.657–0.661 with the top six (the
kept setting, ``LAYERS``). At question time the tuned encoder then costs half a pass: the NumPy
engine starts it from the hidden states the plain pass kept for the same question
(``fundstelle.e5_numpy.E5Weights.with_layers``). The guard for general questions is the search's
use of it: a second opinion that fills the places after the plain search's first three
(``retrieval.search``), never the places answerability reads.

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
import copy
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
# Chosen on held-out training units (module doc), all twelve layers tuned: temperature 0.05
# reached recall@5 0.558–0.575 at rates 2e-5–1e-4, 0.02 0.635–0.639, 0.01 0.665–0.670; a third
# epoch lost at every setting (and with the top four layers).
#
# Only the top encoder layers are trained: the question then runs the shared lower layers once
# (``E5Weights.with_layers``). On held-out training units (recall@5 of the tuned vector, epoch 2,
# rates 5e-5-2e-4) the top 2, 4, 6 layers reached 0.639-0.657, 0.639-0.665, 0.657-0.661, all
# twelve 0.665 (at 5e-5). In the search (wider tuning set, README "Twenty-sixth session") all twelve
# were best by one or two questions in 89, within one run's seed noise; the top six are the
# variant whose extra cost per question stayed within 1.5x of the search without it in every
# benchmark run (the top eight: 1.37-1.51x), and of those the better on the wider tuning set.
#
# Epochs: on held-out training units (units the encoder never saw) the second epoch was best. But
# a user's question is most likely about a unit that has a training question, in other words
# (README, "Twenty-seventh session"); with the tuned search ranking every place, 2, 4 and 6 epochs
# reached supported answers 0.497, 0.510, 0.538 (recall@1 0.455, 0.476, 0.469) on the wider tuning
# set with the tuning half of the questions about trained units; 6 chosen on supported answers.
LAYERS = 6
RATE = 5e-5
EPOCHS = 6
TEMPERATURE = 0.01
BATCH = 32
# Runs (seeds) averaged into one encoder. One run's recall@5 on the wider tuning set moved by up
# to 0.056 with the seed and the order of the question files (0.742–0.798); the average of the
# runs' layers holds the middle (README, "Twenty-fifth session").
SEEDS = 3
# The tuned vector's weight against the plain one in the second search's question vector
# (``mixed_vector``). Since that search ranks every place, chosen among 1, 2, 3 on the wider
# tuning set with the tuning half of the questions about trained units: supported answers 0.490,
# 0.497, 0.490, recall@1 0.455 at each (README, "Twenty-seventh session"; when it filled places 4
# to 10 only, 3 was best, "Twenty-sixth session"). Not part of the recipe: applied at question time.
TUNED_WEIGHT = 2.0
# The softmax of the loss runs over the passages of the units some training question names, not
# over every passage: a unit no question names (every unit of the evaluation sets, by
# construction; a user's new document) would otherwise only ever be a negative, and the encoder
# would learn to steer questions away from it. With one question per unit this alone traded
# recall@1 for recall@5; with two per unit it won both (README, "Thirtieth session"). A label for
# the recipe, not a switch: ``fit_query_encoder`` always narrows the softmax (``named_passages``).
NEGATIVES = "named units"
# Stored with the layers: a change of the recipe trains again.
RECIPE = (f"layers={LAYERS} rate={RATE} epochs={EPOCHS} temperature={TEMPERATURE} batch={BATCH} seeds={SEEDS} "
          f"negatives={NEGATIVES.replace(' ', '-')}")


def fit_query_encoder(model_dir: Path, questions: Sequence[str], positives: Sequence[Sequence[int]],
                      passages: np.ndarray, *, layers: int = LAYERS, seeds: int = SEEDS, first_seed: int = 0,
                      before_step: Callable[[], None] | None = None,
                      on_epoch: Callable[[int, int, float], None] | None = None, **settings) -> dict[str, np.ndarray]:
    """Train copies of the sentence-transformers model in ``model_dir`` so that each question
    lands on its positives (rows of ``passages``), one per seed, and average their layers (a
    "model soup": runs from the same start at a low rate average into one model that is as good
    as an ensemble of them and costs one at question time); returns the tuned encoder layers
    (float32, named as in the model's ``model.safetensors``). ``before_step`` is called before
    every training step (the background embedder waits there while questions are answered, and
    stops there when asked); ``on_epoch(seed, epoch, mean loss)`` after every epoch. ``settings``:
    ``rate``, ``epochs``, ``temperature``, ``batch``; ``layers``: how many of the top layers are trained."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    encoder, tokenizer = model[0].auto_model, model.tokenizer
    count = encoder.config.num_hidden_layers
    first = max(count - layers, 0)
    # The layers below the tuned ones are frozen: what they make of each question is computed
    # once for every run and epoch, and the runs train only the top layers on it.
    states = _states_entering(encoder, tokenizer, questions, first, before_step)
    encoder.encoder.layer = torch.nn.ModuleList(list(encoder.encoder.layer)[first:])
    encoder.embeddings = _given_states_module()
    passages, positives = named_passages(passages, positives)
    runs = []
    for seed in range(first_seed, first_seed + seeds):
        top = copy.deepcopy(encoder)
        _fit_one(top, states, positives, passages, seed=seed, before_step=before_step, on_epoch=on_epoch, **settings)
        runs.append({_full_model_name(name, first): tensor.detach().numpy().astype(np.float32)
                     for name, tensor in top.state_dict().items() if name.startswith(LAYER_PREFIX)})
    return {name: np.mean([run[name] for run in runs], axis=0).astype(np.float32) for name in runs[0]}


def _states_entering(encoder, tokenizer, questions: Sequence[str], layer: int,
                     before_step: Callable[[], None] | None) -> list:
    """Each question's hidden states entering ``layer`` (its real tokens, no padding)."""
    import torch

    states = []
    encoder.eval()
    with torch.no_grad():
        for start in range(0, len(questions), 64):
            if before_step:
                before_step()
            tokens = tokenizer([QUERY_PREFIX + q for q in questions[start:start + 64]], padding=True,
                               truncation=True, max_length=128, return_tensors="pt")
            hidden = encoder(**tokens, output_hidden_states=True).hidden_states[layer]
            for row, length in enumerate(tokens["attention_mask"].sum(1).tolist()):
                states.append(hidden[row, :length].clone())
    return states


def _given_states_module():
    import torch

    class GivenStates(torch.nn.Module):
        """Stands in for the embeddings of a model cut below its tuned layers: its inputs are
        the hidden states entering them."""

        def forward(self, *args, inputs_embeds=None, **kwargs):
            return inputs_embeds

    return GivenStates()


def _fit_one(top, states: Sequence, positives: Sequence[Sequence[int]], passages: np.ndarray, *,
             rate: float = RATE, epochs: int = EPOCHS, temperature: float = TEMPERATURE, batch: int = BATCH,
             seed: int = 0, before_step: Callable[[], None] | None = None,
             on_epoch: Callable[[int, int, float], None] | None = None) -> None:
    """Train ``top`` (the model cut below its tuned layers) in place, one seeded run; the loss's
    softmax runs over every row of ``passages`` (``fit_query_encoder`` passes the named units')."""
    import torch

    torch.manual_seed(seed)
    order = random.Random(seed)
    for name, parameter in top.named_parameters():
        parameter.requires_grad = name.startswith(LAYER_PREFIX)
    matrix = torch.tensor(np.asarray(passages, dtype=np.float32))
    examples = list(zip(states, positives))
    optimiser = torch.optim.AdamW([p for p in top.parameters() if p.requires_grad], lr=rate, weight_decay=0.0)
    started = time.perf_counter()
    top.train()
    for epoch in range(epochs):
        order.shuffle(examples)
        losses = []
        for start in range(0, len(examples), batch):
            if before_step:
                before_step()
            part = examples[start:start + batch]
            longest = max(len(state) for state, _ in part)
            inputs = torch.zeros(len(part), longest, part[0][0].shape[-1])
            mask = torch.zeros(len(part), longest, dtype=torch.long)
            for row, (state, _) in enumerate(part):
                inputs[row, :len(state)] = state
                mask[row, :len(state)] = 1
            hidden = top(inputs_embeds=inputs, attention_mask=mask).last_hidden_state
            weights = mask.unsqueeze(-1).float()
            vectors = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)
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
        if on_epoch:
            on_epoch(seed, epoch + 1, float(np.mean(losses)))


def named_passages(passages: np.ndarray, positives: Sequence[Sequence[int]]
                   ) -> tuple[np.ndarray, list[list[int]]]:
    """The rows of ``passages`` that are some question's positive (in their order), and the
    positives renumbered to those rows: what the loss's softmax runs over (``NEGATIVES``)."""
    rows = sorted({int(c) for cols in positives for c in cols})
    place = {row: n for n, row in enumerate(rows)}
    return np.asarray(passages)[rows], [[place[int(c)] for c in cols] for cols in positives]


def _full_model_name(name: str, first: int) -> str:
    """``encoder.layer.0.…`` of the model cut below layer ``first`` as the full model's name."""
    number, rest = name[len(LAYER_PREFIX):].split(".", 1)
    return f"{LAYER_PREFIX}{first + int(number)}.{rest}"


def mixed_vector(plain: np.ndarray, tuned: np.ndarray, weight: float | None = None) -> np.ndarray:
    """The plain question vector plus ``weight`` (``TUNED_WEIGHT``) times the tuned encoder's,
    both normalised, the sum normalised: the plain vector keeps a say (measured better than the
    tuned vector alone, README)."""
    weight = TUNED_WEIGHT if weight is None else weight
    plain = np.asarray(plain, dtype=np.float32)
    tuned = np.asarray(tuned, dtype=np.float32)
    mixed = plain / (np.linalg.norm(plain) or 1.0) + weight * tuned / (np.linalg.norm(tuned) or 1.0)
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
