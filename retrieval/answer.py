"""What ``Assistant.ask`` returns: the answer, its citations, per-sentence verification.

Everything is plain data and JSON-serialisable (``Answer.to_dict()`` / ``Answer.to_json()``),
so the UI, the CLI and evaluation scripts read the same object.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

# Verification status of one answer sentence.
VERIFIED = "verified"          # supported by the passage its marker points to
UNSUPPORTED = "nicht belegt"   # no cited passage supports it: shown flagged, never as cited
LEAD = "lead"                  # a short neutral lead-in ("Laut den Quellen:"), carries no claim


@dataclass
class Passage:
    """A retrieved passage (chunk) with its retrieval scores."""

    chunk_id: str
    label: str
    kind: str
    doc_type: str
    title: str
    stand: str
    stand_date: str
    page: int | None
    url: str
    text: str
    score: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None
    locator: dict[str, str] = field(default_factory=dict)
    doc_id: str = ""
    # Sentence roles over ``text``: [[start, end, role], ...] (see ``index.roles``).
    roles: list[list] = field(default_factory=list)
    # Why it was retrieved: the signals that placed it ({"dense": "rank 3, cos 0.842",
    # "bm25": …, "norm": "§ 22 SGB II", "norm_route": "+1.80", "graph": …, "adapter": "angepasstes
    # Fragemodell, Platz 4", "neighbours": "80% der nächsten Trainingsfragen"}).
    reasons: dict[str, str] = field(default_factory=dict)
    # Its neighbours in the reference graph, readable: "Erläutert in FW § 22 SGB II, Rz. 22.41",
    # "Erläutert § 22 Abs. 1 SGB II", "Verweist auf § 12 Abs. 2 SGB II".
    links: list[str] = field(default_factory=list)


@dataclass
class Citation:
    """A numbered source the answer points to with ``[number]``."""

    number: int
    chunk_id: str
    label: str
    kind: str
    doc_type: str
    title: str
    stand: str
    page: int | None
    url: str
    passage: str
    # Character span of the supporting sentence inside ``passage`` (for highlighting).
    support_span: tuple[int, int] | None = None
    doc_id: str = ""
    roles: list[list] = field(default_factory=list)   # sentence roles over ``passage``


@dataclass
class SentenceCheck:
    """One sentence of the answer and what verification found."""

    text: str
    markers: list[int]
    status: str                      # VERIFIED | UNSUPPORTED | LEAD
    reason: str = ""
    support: float = 0.0             # best support score against the cited passages


@dataclass
class Answer:
    question: str
    text: str                        # answer text with [n] markers; flagged sentences marked "(nicht belegt)"
    citations: list[Citation]
    sentences: list[SentenceCheck]
    abstained: bool
    abstain_reason: str = ""
    passages: list[Passage] = field(default_factory=list)   # everything retrieved ("Weitere Fundstellen")
    mode: str = "extractive"
    model: str = ""
    language: str = "de"
    retrievers: list[str] = field(default_factory=list)     # e.g. ["dense", "bm25"]
    # Share of the indexed passages the dense retriever could search (below 1.0 while the
    # semantic index is still being built after a fresh start; 0.0 when it took no part).
    dense_coverage: float = 1.0
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    settings: dict[str, Any] = field(default_factory=dict)   # kinds, as_of, k ... as asked
    notices: list[str] = field(default_factory=list)         # e.g. LLM unreachable, fell back
    evidence: dict[str, float] = field(default_factory=dict)  # the scores abstention was decided on
    # "answered", "partial" (nicht direkt beantwortet), "premise" (Voraussetzung nicht belegt)
    # or "abstained"; only "answered" is a direct answer (``abstained`` is False only then).
    status: str = "answered"
    # Rechtsstand asked for and what was used: {"as_of": date, "fallbacks": {law: Fassung date}}
    # where no Fassung in the corpus was in force on that date; the first line of ``text`` says so.
    rechtsstand: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Answer":
        data = dict(data)
        data["citations"] = [Citation(**{**c, "support_span": tuple(c["support_span"]) if c.get("support_span") else None})
                             for c in data.get("citations", [])]
        data["sentences"] = [SentenceCheck(**s) for s in data.get("sentences", [])]
        data["passages"] = [Passage(**p) for p in data.get("passages", [])]
        return cls(**data)


class QuestionError(ValueError):
    """The question cannot be asked as given (empty, too long, control characters)."""


class FilterError(ValueError):
    """The filters match no indexed passage; the message says which filter."""
