"""Answerability: does the evidence answer the question, answer it only partly, rest on a
premise the sources do not state, or not answer it at all?

    from retrieval.answerability import Thresholds, decide, premise_terms
    thresholds = Thresholds.load()                       # retrieval/answerability.json
    verdict = decide(evidence, language, thresholds)     # Verdict(status, reason)

The thresholds are not chosen by hand: ``python -m evaluation calibrate`` picks them on the
dev set's tuning half and writes ``retrieval/answerability.json`` (see README "Abstention").
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from index.german import tokenize_german
from retrieval.extractive import term_present

THRESHOLDS_FILE = Path(__file__).with_name("answerability.json")

ANSWERED = "answered"
PARTIAL = "partial"         # the sources hold something related, not the asked fact
PREMISE = "premise"         # the question presupposes a fact the sources do not state
ABSTAINED = "abstained"     # nothing in the sources answers it
STATUSES = (ANSWERED, PARTIAL, PREMISE, ABSTAINED)

PARTIAL_LEAD = "Die Quellen beantworten das nicht direkt. Nächstliegende Fundstellen:"
PREMISE_LEAD = "Die Quellen enthalten keine Angabe dazu, dass {claim} zutrifft. Sie sagen dazu:"

# Presupposition triggers of German (and English) question grammar: "Warum wurde X
# abgeschafft?" presupposes that X was abolished.
_PRESUPPOSING = re.compile(r"^\s*(warum|wieso|weshalb|weswegen|seit wann|wodurch|why|since when)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# What a presupposing question takes for granted is an event, said with a participle:
# "abgeschafft", "gestrichen", "eingeführt", "erhöht", "reformiert" (German morphology).
_PARTICIPLE = re.compile(r"^[a-zäöüß]\w*ge\w{2,}(?:t|en)$|^(?:be|er|ver|zer|ent|emp|miss)\w{2,}t$|^[a-zäöüß]\w{3,}iert$")


@dataclass(frozen=True)
class Thresholds:
    min_similarity: float = 0.78          # best answer sentence, e5 cosine (German question)
    min_similarity_cross: float = 0.78    # the same for a question in another language
    min_coverage: float = 0.0             # German: share of key terms in the top passages; below: partial

    @classmethod
    def load(cls, path: Path | None = None) -> "Thresholds":
        path = path or THRESHOLDS_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable thresholds file ({exc})") from exc
        try:
            known = {k: float(v) for k, v in data.get("thresholds", data).items() if k in cls.__dataclass_fields__}
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: thresholds are not numbers ({exc})") from exc
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    status: str
    reason: str = ""


def decide(evidence: Any, language: str, thresholds: Thresholds) -> Verdict:
    """ANSWERED, PARTIAL or ABSTAINED from the evidence features (``extractive.Evidence``)."""
    german = language == "de"
    minimum = thresholds.min_similarity if german else thresholds.min_similarity_cross
    if evidence.best_similarity < minimum:
        return Verdict(ABSTAINED, f"Keine Passage passt ausreichend zur Frage (beste Ähnlichkeit "
                                  f"{evidence.best_similarity:.2f} < {minimum:.2f}).")
    if german and evidence.coverage < thresholds.min_coverage:
        return Verdict(PARTIAL, f"Die gefundenen Passagen decken die Frage nur zum Teil ab (Abdeckung "
                                f"{evidence.coverage:.2f} < {thresholds.min_coverage:.2f}).")
    return Verdict(ANSWERED)


def premise_terms(question: str, chunks: Sequence[Any]) -> list[str]:
    """What the question presupposes and the given chunks (text, label, title, Stand) never
    state: years it names, and for a presupposing question ("Warum wurde … abgeschafft?")
    the participles naming the presupposed event. Empty when the sources state everything it
    takes for granted."""
    present_text = " ".join(f"{c.label} {c.title} {c.stand} {c.text}" for c in chunks if c is not None)
    missing = [year for year in dict.fromkeys(_YEAR.findall(question)) if year not in present_text]
    trigger = _PRESUPPOSING.search(question)
    if trigger:
        present = set(tokenize_german(present_text))
        for word in re.findall(r"[^\W\d_]{4,}", question[trigger.end():]):
            if not _PARTICIPLE.match(word):
                continue
            stems = tokenize_german(word)
            if stems and not any(term_present(s, present) for s in stems):
                missing.append(word)
    return list(dict.fromkeys(missing))


_SECTION = re.compile(r"§§?\s*(\d+\s?[a-z]?)\b")


def unknown_sections(question: str, chunks: Sequence[Any]) -> list[str]:
    """The § numbers the question names that none of the retrieved chunks is or mentions
    ("§ 999 SGB II"): asking about a norm the sources do not hold."""
    wanted = [n.replace(" ", "") for n in _SECTION.findall(question)]
    if not wanted:
        return []
    text = " ".join(f"{c.label} {c.text}" for c in chunks if c is not None)
    return [f"§ {n}" for n in dict.fromkeys(wanted) if not re.search(rf"§§?\s*{re.escape(n)}(?![\w])", text)]


def premise_claim(terms: Sequence[str]) -> str:
    return "„" + " … ".join(terms) + "“"
