"""The training questions as neighbours: which norm do questions like this one ask about?

The fine-tuned query encoder (``index.query_encoder``) learnt the training questions
(``corpus/training/*.jsonl``: citizen-style questions, each labelled with the unit that answers
it) into its weights. The bank keeps them as they are: each training question's vector in the
encoder's search space (the plain e5 vector mixed with the tuned one, ``mixed_vector``, as the
search mixes a user's question) and the norm its unit belongs to ("§ 32 SGB II" for § 32 Abs. 1
SGB II and for FW § 32 SGB II, Rz. 32.5). At question time the search asks which norms the
nearest training questions name (``neighbourhood``): "Was passiert, wenn ich einen Termin beim
Jobcenter verpasse?" is near the training questions about missed appointments, which name § 32
SGB II (Meldeversäumnis), though no word of it is in the law's text.

Write path: ``IndexWriter.fit_query_adapter`` builds it after the encoder (and for an index
whose encoder was trained before the bank existed), stores it in the chunk store's meta with the
encoder it belongs to; it is built again only when the encoder is.

    bank = QuestionBank.build(encoder_meta, norms, plain, tuned)
    store.set_meta(META_KEY, bank.meta())
    near = QuestionBank.from_meta(store.get_meta(META_KEY)).neighbourhood(vector)  # .shares, .nearest
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from index.query_encoder import mixed_vector

log = logging.getLogger(__name__)

META_KEY = "query_encoder_bank"
# How many nearest training questions vote, and how sharply their cosines weigh them (a softmax
# over the nearest ones' cosines at this temperature). Set with the search's weight of the votes
# (``RetrievalWeights.neighbours``) on the tuning pools (README, "Forty-second session"); not
# varied there.
NEIGHBOURS = 10
TEMPERATURE = 0.02


def encoder_key(encoder_meta: str) -> str:
    """What names the encoder a bank belongs to: the sha256 of its stored meta (store version,
    model, training questions, recipe)."""
    return hashlib.sha256(encoder_meta.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Neighbourhood:
    """What the training questions nearest to a user's question say about it."""

    shares: dict[str, float]           # each norm's share of the nearest questions' votes (``NEIGHBOURS``)
    nearest: float                     # the nearest question's cosine: each was written for a unit
                                       # that answers it, so a question this near one asks about
                                       # what the corpus covers (``retrieval.answerability``)


@dataclass(frozen=True)
class QuestionBank:
    """The training questions' vectors (rows, normalised) and the norm each names."""

    encoder: str                       # ``encoder_key`` of the encoder the vectors come from
    norms: tuple[str, ...]             # per question: its unit's norm ("" when its unit has none)
    vectors: np.ndarray = field(repr=False)

    @classmethod
    def build(cls, encoder_meta: str, norms: Sequence[str], plain: np.ndarray, tuned: np.ndarray) -> "QuestionBank":
        """From the questions' plain and tuned vectors (one row each, same order as ``norms``)."""
        vectors = np.stack([mixed_vector(p, t) for p, t in zip(plain, tuned)]) if len(norms) else np.zeros((0, 1))
        return cls(encoder_key(encoder_meta), tuple(norms), vectors.astype(np.float32))

    def fits(self, encoder_meta: str | None) -> bool:
        return encoder_meta is not None and self.encoder == encoder_key(encoder_meta)

    def neighbourhood(self, vector: np.ndarray, neighbours: int = NEIGHBOURS,
                      temperature: float = TEMPERATURE) -> "Neighbourhood":
        """What the training questions nearest to ``vector`` (a question vector of the encoder's
        search) say, from one product with the stored vectors: each norm's share of the
        ``neighbours`` nearest, weighted by the softmax of their cosines (the shares of all norms
        sum to at most 1; questions whose unit has no norm vote for none), and the cosine of the
        nearest one. An empty bank votes for nothing and is near nothing (0.0)."""
        if not len(self.norms):
            return Neighbourhood({}, 0.0)
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        count = min(neighbours, len(sims))
        top = np.argpartition(-sims, count - 1)[:count]
        top = top[np.argsort(-sims[top], kind="stable")]
        weights = np.exp((sims[top] - sims[top[0]]) / temperature)
        weights /= weights.sum()
        shares: dict[str, float] = {}
        for i, w in zip(top, weights):
            if self.norms[i]:
                shares[self.norms[i]] = shares.get(self.norms[i], 0.0) + float(w)
        return Neighbourhood(shares, float(sims[top[0]]))

    def describe(self) -> dict:
        """For manifests and ``ingest stats``: how many questions it holds, how many name a norm."""
        return {"questions": len(self.norms), "naming_a_norm": sum(1 for n in self.norms if n),
                "norms": len({n for n in self.norms if n})}

    def meta(self) -> str:
        buffer = io.BytesIO()
        np.save(buffer, self.vectors.astype(np.float16), allow_pickle=False)
        return json.dumps({"encoder": self.encoder, "norms": list(self.norms),
                           "vectors": base64.b64encode(buffer.getvalue()).decode("ascii")})

    @classmethod
    def from_meta(cls, value: str | None) -> "QuestionBank | None":
        """The stored bank; None when there is none or it is unreadable (logged)."""
        if not value:
            return None
        try:
            data = json.loads(value)
            vectors = np.load(io.BytesIO(base64.b64decode(data["vectors"])), allow_pickle=False).astype(np.float32)
            norms = tuple(str(n) for n in data["norms"])
            if vectors.ndim != 2 or len(vectors) != len(norms):
                raise ValueError(f"{len(vectors)} vectors for {len(norms)} questions")
            return cls(str(data["encoder"]), norms, vectors)
        except (ValueError, KeyError, TypeError, OSError, EOFError) as exc:
            log.warning("stored question bank unreadable, not used: %s", exc)
            return None
