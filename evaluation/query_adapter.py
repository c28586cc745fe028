"""A linear query adapter trained on pairs mined from the corpus's own structure (an experiment).

Issue 13, item 5: can the small e5 model learn the corpus's language without forgetting general
German? The adapter maps a question vector ``q`` to ``normalise(q W)`` (``W`` starts as the
identity, passages keep their stored vectors, so no index is re-embedded). It is fitted with a
softmax over every passage of the index (the positives against all 4,000 others) and an L2
penalty that keeps ``W`` near the identity (the guard for general questions).

The pairs come from structure that any German law or Weisung has, never from questions:

* ``heading``: a Weisung Rz.'s margin note or title → that Rz.;
* ``explains``: a Rz.'s first sentence → the law Absatz the Rz. explains (the reference graph);
* ``definition``: a term the law defines ("Hilfebedürftig ist, wer …") → the defining Absatz;
* ``title``: a § title → its Absätze (off by default: it teaches title matching, see DEVELOPERS.md).

``python -m evaluation ablation GOLD --adapter`` adds the adapter as one more row; the fit is
seeded, so the same corpus gives the same ``W``. It did not win on the check half and is not
used by the assistant (README, "Tried and not kept"). The adapter the search uses is fitted on
citizen-style training questions instead (``index.query_adapter``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from fundstelle.sentences import split_sentences
from index.chunk import Chunk
from index.norm_index import NormIndex
from index.norms import defined_terms
from index.query_adapter import fit_adapter

log = logging.getLogger(__name__)

DEFAULT_SOURCES = ("heading", "explains", "definition")
STRUCTURAL_PENALTY = 10.0   # the L2 penalty this experiment was measured with


@dataclass(frozen=True)
class Pair:
    query: str
    positives: tuple[str, ...]   # chunk ids
    source: str


def mine_pairs(chunks: Iterable[tuple[str, Chunk]], norms: NormIndex,
               sources: Sequence[str] = DEFAULT_SOURCES) -> list[Pair]:
    """Training pairs of a corpus, in chunk order (deterministic)."""
    pairs: list[Pair] = []
    wanted = set(sources)
    for chunk_id, chunk in chunks:
        extra = chunk.extra
        if chunk.kind == "law":
            title = str(extra.get("paragraph_title") or "")
            if "title" in wanted and title:
                pairs.append(Pair(title, (chunk_id,), "title"))
            if "definition" in wanted:
                pairs.extend(Pair(term, (chunk_id,), "definition") for term in defined_terms(chunk.text))
        elif chunk.kind == "ba":
            if "heading" in wanted:
                for key in ("margin_note", "rz_title"):
                    if extra.get(key):
                        pairs.append(Pair(" ".join(str(extra[key]).split()), (chunk_id,), "heading"))
            edge = norms.explains(chunk_id)
            if "explains" in wanted and edge is not None and edge.absatz:
                units = norms.units_of(edge.norm, edge.absatz)
                spans = split_sentences(chunk.text)
                if units and spans:
                    first = chunk.text[spans[0][0]:spans[0][1]]
                    if 40 <= len(first) <= 400:
                        pairs.append(Pair(first, tuple(units), "explains"))
    return pairs


@dataclass(frozen=True)
class TrainingSet:
    """The mined pairs of an index with the stored passage vectors they point into."""
    ids: list[str]              # chunks with a stored vector, in the lexical index's order
    passages: np.ndarray        # their stored vectors, one row per id
    pairs: list[Pair]
    positives: list[list[int]]  # per pair, the rows of its positive passages

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for pair in self.pairs:
            out[pair.source] = out.get(pair.source, 0) + 1
        return out


def training_set(index, sources: Sequence[str] = DEFAULT_SOURCES) -> TrainingSet:
    """Mine the pairs of ``index`` (a ``ChunkIndex``) whose passages all have a stored vector."""
    lexical = index.load_lexical()
    norms = index.load_norms(lexical)
    ids = list(lexical.ids)
    chunks = index.chunks(ids)
    stored = index.vectors(ids)
    ids = [cid for cid in ids if cid in stored]
    position = {cid: i for i, cid in enumerate(ids)}
    pairs = [p for p in mine_pairs(((cid, chunks[cid]) for cid in ids), norms, sources)
             if all(c in position for c in p.positives)]
    if not pairs:
        raise ValueError("no training pairs: the index has no Weisung headings, explained Absätze or definitions")
    return TrainingSet(ids, np.stack([stored[cid] for cid in ids]), pairs,
                       [[position[c] for c in p.positives] for p in pairs])


def train_for_index(index, sources: Sequence[str] = DEFAULT_SOURCES, **fit_options) -> tuple[np.ndarray, dict]:
    """Mine the pairs of ``index`` (a ``ChunkIndex``), embed their queries, fit ``W``.
    Returns ``(W, info)`` with the pair counts and the timings."""
    data = training_set(index, sources)
    pairs = data.pairs
    started = time.perf_counter()
    queries = np.stack([np.asarray(index.embedder.embed_query(p.query), dtype=np.float32) for p in pairs])
    embedded = time.perf_counter() - started
    started = time.perf_counter()
    matrix = fit_adapter(queries, data.positives, data.passages, **{"penalty": STRUCTURAL_PENALTY, **fit_options})
    info = {"pairs": data.counts(), "embed_s": round(embedded, 1), "fit_s": round(time.perf_counter() - started, 1)}
    log.info("query adapter: %s", info)
    return matrix, info
