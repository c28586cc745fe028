"""Citation-accuracy and retrieval metrics as pure functions on plain data.

Two small contracts, so other scripts can compute the same numbers without the harness:

Retrieval (in the spirit of sentence-transformers' ``InformationRetrievalEvaluator``):
``ranked`` maps a query id to the ids retrieved for it in rank order, ``relevant`` maps a
query id to the set of relevant ids; ``first_relevant_rank`` and ``ir_metrics`` work on
them. Where relevance is decided by text (a gold evidence quote inside a passage),
``evidence_rank`` gives the rank directly. ``recall_at_k`` and ``mrr_at_k`` take the
per-query ranks (1-based; ``None`` = not retrieved).

Answers: one *case* per question, a dict with

=================  =========================================================================
``answerable``     bool: the gold answer is in the corpus
``abstained``      bool: the system declined to answer
``evidence``       list of gold quotes (or gold answer strings); any one suffices
``citations``      list of ``{"number": int, "text": str}``: the cited passages
``text``           the answer text with ``[n]`` markers
``sentences``      list of verification statuses of the answer's sentences
=================  =========================================================================

Every share returns ``None`` when it has no denominator (e.g. ``abstention`` on a set
without unanswerable questions), so "not measured" never reads as 0 or 1.

Matching rule (``../shared/eval/README.md``): a passage *holds* an evidence quote when the
quote, normalised (Unicode NFKC, casefold, only letters and digits kept), is a substring of
the passage normalised the same way. PDF line breaks, hyphenation, spacing and case do not
matter.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Collection, Iterable, Mapping, Sequence

# Verification statuses (same strings as retrieval.answer; repeated so this module stays
# importable without the retrieval package).
VERIFIED = "verified"
LEAD = "lead"

# "[3]" and grouped markers such as "[1, 2]" or "[1; 3]".
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")

Case = Mapping[str, Any]


# ---------------------------------------------------------------------------------------
# Evidence matching


def normalise(text: str) -> str:
    """Unicode NFKC, casefold, keep only letters and digits.

    ``"Arbeits-\\nmarkt"`` and ``"ARBEITSMARKT"`` both become ``"arbeitsmarkt"``;
    ``"Straße"`` becomes ``"strasse"``.
    """
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(char for char in folded if char.isalnum())


def holds_evidence(passage_text: str, quotes: Iterable[str]) -> bool:
    """True when any quote, normalised, is a substring of the normalised passage.

    Quotes that normalise to nothing (punctuation only) never match.
    """
    passage = normalise(passage_text)
    return any(q and q in passage for q in (normalise(quote) for quote in quotes))


def evidence_rank(passages: Sequence[str], quotes: Iterable[str]) -> int | None:
    """1-based rank of the first passage text that holds an evidence quote; None if none does."""
    quotes = [q for q in (normalise(quote) for quote in quotes) if q]
    for rank, text in enumerate(passages, start=1):
        passage = normalise(text)
        if any(q in passage for q in quotes):
            return rank
    return None


# ---------------------------------------------------------------------------------------
# Retrieval


def dedupe(ids: Iterable[str]) -> list[str]:
    """Ids in first-seen order without repeats (several chunks of one paragraph count once)."""
    seen: set[str] = set()
    out = []
    for item in ids:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def first_relevant_rank(ranked_ids: Sequence[str], relevant_ids: Collection[str]) -> int | None:
    """1-based rank of the first relevant id after de-duplication; None if none is relevant."""
    for rank, item in enumerate(dedupe(ranked_ids), start=1):
        if item in relevant_ids:
            return rank
    return None


def recall_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of queries whose first relevant item is at rank <= k (one relevant item suffices)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Mean reciprocal rank, counting only ranks <= k (others contribute 0)."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def ir_metrics(ranked: Mapping[str, Sequence[str]], relevant: Mapping[str, Collection[str]],
               ks: Sequence[int] = (1, 5, 10)) -> dict[str, float | None]:
    """``recall@k`` for each k and ``mrr@max(ks)`` over the queries in ``relevant``.

    A query missing from ``ranked`` counts as retrieving nothing.
    """
    ranks = [first_relevant_rank(ranked.get(qid, ()), rel) for qid, rel in relevant.items()]
    out: dict[str, float | None] = {f"recall@{k}": recall_at_k(ranks, k) for k in ks}
    out[f"mrr@{max(ks)}"] = mrr_at_k(ranks, max(ks))
    return out


# ---------------------------------------------------------------------------------------
# Answers (cases: see the module docstring)


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _citation_texts(case: Case) -> list[str]:
    return [c["text"] for c in case.get("citations") or ()]


def answer_support(cases: Iterable[Case]) -> float | None:
    """Share of answerable questions that were answered (not abstained) with at least one
    citation holding an evidence quote. Denominator: all answerable questions."""
    answerable = [c for c in cases if c["answerable"]]
    hits = sum(1 for c in answerable if not c["abstained"]
               and any(holds_evidence(text, c.get("evidence") or ()) for text in _citation_texts(c)))
    return _share(hits, len(answerable))


def citation_precision(cases: Iterable[Case]) -> float | None:
    """Share of the citations given in answers to answerable questions that hold an evidence
    quote. Abstentions contribute no citations."""
    hits = total = 0
    for case in cases:
        if not case["answerable"] or case["abstained"]:
            continue
        for text in _citation_texts(case):
            total += 1
            hits += holds_evidence(text, case.get("evidence") or ())
    return _share(hits, total)


def markers(text: str) -> list[int]:
    """The citation numbers in ``[n]`` markers of ``text``, in order (``[1, 2]`` gives 1, 2)."""
    return [int(n) for group in _MARKER.findall(text or "") for n in re.split(r"\s*[,;]\s*", group)]


def marker_counts(text: str, citation_numbers: Collection[int]) -> tuple[int, int]:
    """(markers pointing to a returned citation, all markers) in one answer text."""
    found = markers(text)
    return sum(1 for n in found if n in citation_numbers), len(found)


def markers_resolvable(cases: Iterable[Case]) -> float | None:
    """Share of all ``[n]`` markers in the answer texts that point to a citation returned
    with that answer (all questions)."""
    hits = total = 0
    for case in cases:
        numbers = {int(c["number"]) for c in case.get("citations") or ()}
        h, t = marker_counts(case.get("text") or "", numbers)
        hits, total = hits + h, total + t
    return _share(hits, total)


def sentences_verified(cases: Iterable[Case]) -> float | None:
    """Share of the sentences of given answers (not abstentions) whose verification passed.

    Lead-in sentences (status ``lead``) carry no claim and are not counted.
    """
    hits = total = 0
    for case in cases:
        if case["abstained"]:
            continue
        for status in case.get("sentences") or ():
            if status == LEAD:
                continue
            total += 1
            hits += status == VERIFIED
    return _share(hits, total)


def abstention(cases: Iterable[Case]) -> float | None:
    """Share of unanswerable questions the system abstained on (higher is better)."""
    unanswerable = [c for c in cases if not c["answerable"]]
    return _share(sum(1 for c in unanswerable if c["abstained"]), len(unanswerable))


def false_abstention(cases: Iterable[Case]) -> float | None:
    """Share of answerable questions the system abstained on (lower is better)."""
    answerable = [c for c in cases if c["answerable"]]
    return _share(sum(1 for c in answerable if c["abstained"]), len(answerable))


# ---------------------------------------------------------------------------------------
# Latency


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between order statistics
    (numpy's default method); None for no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
