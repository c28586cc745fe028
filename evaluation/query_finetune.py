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
import random
import time
from typing import Callable, Sequence

import numpy as np

from evaluation.query_adapter import DEFAULT_SOURCES, training_set

log = logging.getLogger(__name__)

QUERY_PREFIX = "query: "


def finetune_query_encoder(index, model_dir, sources: Sequence[str] = DEFAULT_SOURCES, *, lr: float = 3e-6,
                           epochs: int = 1, temperature: float = 0.02, batch_size: int = 32,
                           seed: int = 0) -> tuple[Callable[[Sequence[str]], np.ndarray], dict]:
    """Train a copy of the sentence-transformers model in ``model_dir`` (the ``e5-torch``
    export) on the pairs of ``index`` (a ``ChunkIndex``). Returns ``(encode, info)``:
    ``encode(questions)`` gives their normalised vectors from the tuned encoder."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    data = training_set(index, sources)
    examples = list(zip(data.pairs, data.positives))
    passages = torch.tensor(data.passages, dtype=torch.float32)

    model = SentenceTransformer(str(model_dir), device="cpu")
    encoder, tokenizer = model[0].auto_model, model.tokenizer
    for parameter in encoder.embeddings.parameters():
        parameter.requires_grad = False

    def embed(texts: Sequence[str], grad: bool = False):
        batch = tokenizer([QUERY_PREFIX + t for t in texts], padding=True, truncation=True, max_length=128,
                          return_tensors="pt")
        with torch.set_grad_enabled(grad):
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)

    optimiser = torch.optim.AdamW([p for p in encoder.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)
    started = time.perf_counter()
    epoch_losses = []
    for _ in range(epochs):
        losses = []
        encoder.train()
        rng.shuffle(examples)
        for start in range(0, len(examples), batch_size):
            batch = examples[start:start + batch_size]
            logits = embed([pair.query for pair, _ in batch], grad=True) @ passages.T / temperature
            positive = torch.zeros_like(logits, dtype=torch.bool)
            for row, (_, rows) in enumerate(batch):
                positive[row, rows] = True
            loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~positive, -1e9), 1)).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        epoch_losses.append(round(float(np.mean(losses)), 3))
    encoder.eval()
    info = {"pairs": data.counts(), "train_s": round(time.perf_counter() - started, 1),
            "epoch_losses": epoch_losses}
    log.info("query encoder fine-tuned: %s", info)

    def encode(questions: Sequence[str]) -> np.ndarray:
        out = []
        for start in range(0, len(questions), batch_size):
            out.append(embed(list(questions[start:start + batch_size])).numpy())
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, passages.shape[1]), np.float32)

    return encode, info
