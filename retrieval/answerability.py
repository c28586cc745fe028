"""Answerability: does the evidence answer the question, answer it only partly, rest on a
premise the sources do not state, or not answer it at all?

    from retrieval.answerability import Thresholds, decide, premise_terms
    thresholds = Thresholds.load()                       # retrieval/answerability.json
    verdict = decide(evidence, language, thresholds)     # Verdict(status, reason)

    calibration = Calibration.load()                     # the same file, with the corpus it holds for
    thresholds = calibration.for_documents({"sgb2-2026-04-23": 1200, ...})   # chunks per document

The thresholds are not chosen by hand: ``python -m evaluation calibrate`` picks them on the
dev set's tuning half and writes ``retrieval/answerability.json`` (see README "Abstention").
A similarity floor fitted to one corpus does not carry to another (the corpus's own wording sets
how near a question's best sentence comes): the file names the documents it was calibrated on, and
an index built mostly from other documents gets the file's ``general`` thresholds.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from fundstelle.sentences import split_sentences
from index.german import tokenize_german
from retrieval.extractive import term_present

THRESHOLDS_FILE = Path(__file__).with_name("answerability.json")

# The calibrated thresholds hold for an index when at least this share of its passages comes
# from documents the calibration asked about; otherwise the general ones.
CORPUS_SHARE = 0.5

ANSWERED = "answered"
PARTIAL = "partial"         # the sources hold something related, not the asked fact
PREMISE = "premise"         # the question presupposes a fact the sources do not state
ABSTAINED = "abstained"     # nothing in the sources answers it
STATUSES = (ANSWERED, PARTIAL, PREMISE, ABSTAINED)

# Presupposition triggers of German (and English) question grammar: "Warum wurde X
# abgeschafft?" presupposes that X was abolished.
_PRESUPPOSING = re.compile(r"^\s*(warum|wieso|weshalb|weswegen|seit wann|wodurch|why|since when)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# What a presupposing question takes for granted is an event, said with a participle:
# "abgeschafft", "gestrichen", "eingeführt", "erhöht", "reformiert" (German morphology).
_PARTICIPLE = re.compile(r"^[a-zäöüß]\w*ge\w{2,}(?:t|en)$|^(?:be|er|ver|zer|ent|emp|miss)\w{2,}t$|^[a-zäöüß]\w{3,}iert$")
# The finite forms of "sein", "haben" and "werden" that build the tenses and the passive
# around the participle ("wurde … abgeschafft"): grammar, not the subject of the event.
_AUXILIARIES = ("bin", "bist", "ist", "sind", "seid", "war", "warst", "waren", "wart", "wäre", "wären", "gewesen",
                "habe", "hast", "hat", "haben", "habt", "hatte", "hattest", "hatten", "hattet", "hätte", "hätten",
                "werde", "wirst", "wird", "werden", "werdet", "wurde", "wurdest", "wurden", "wurdet", "würde",
                "würden", "worden")
_AUXILIARY_STEMS = frozenset(tokenize_german(" ".join(_AUXILIARIES)))


# A question at least this near one of the training questions (``index.question_bank``: each
# written for a unit of this corpus that answers it; cosine of the adapted question vectors) asks
# about what the corpus covers: neither the similarity floor nor the unknown-term rule refuses it.
# Short everyday questions score low against the long sentences that answer them, as low as
# questions the sources do not answer, and name things in words the corpus does not use
# ("Babyausstattung" for the Erstausstattung bei Schwangerschaft und Geburt) (README,
# "Forty-fourth session", "Forty-fifth session"). Chosen on the tuning pools for the floor: the
# middle of the range (0.628–0.666) that answers no unanswerable question refused by the floor
# there. The other rules (coverage, a figure the sources lack, a premise) still refuse it.
NEAR_TRAINING_QUESTION = 0.647


def near_a_training_question(training_similarity: float) -> bool:
    """Whether a question this near its nearest training question (``NEAR_TRAINING_QUESTION``)
    asks about what the corpus covers."""
    return training_similarity >= NEAR_TRAINING_QUESTION


@dataclass(frozen=True)
class Thresholds:
    min_similarity: float = 0.78          # best answer sentence, e5 cosine (German question)
    min_similarity_cross: float = 0.78    # the same for a question in another language
    min_coverage: float = 0.0             # German: share of key terms in the top passages; below: partial
    # The coverage floor on a machine without the thesaurus: without synonyms the same passages
    # cover fewer of a question's terms, and the floor chosen with them refused a fifth of the
    # answerable dev questions (README, "Twenty-eighth session"). None: ``min_coverage``.
    min_coverage_without_synonyms: float | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> "Thresholds":
        """The calibrated thresholds of ``path`` (default: ``retrieval/answerability.json``)."""
        return Calibration.load(path).thresholds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def without_synonyms(self) -> "Thresholds":
        """The thresholds that hold where no thesaurus is installed."""
        if self.min_coverage_without_synonyms is None:
            return self
        return replace(self, min_coverage=self.min_coverage_without_synonyms)


def _thresholds(path: Path, values: Any) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in values.items() if k in Thresholds.__dataclass_fields__ and v is not None}
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: thresholds are not numbers ({exc})") from exc


@dataclass(frozen=True)
class Calibration:
    """The calibrated thresholds, the documents they were calibrated on, and the general
    thresholds for an index built mostly from other documents (None: the calibrated ones hold
    everywhere, as in files written before the corpus was recorded)."""

    thresholds: Thresholds = Thresholds()
    documents: frozenset[str] = frozenset()
    general: Thresholds | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> "Calibration":
        path = path or THRESHOLDS_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable thresholds file ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not a readable thresholds file (no JSON object)")
        thresholds = Thresholds(**_thresholds(path, data.get("thresholds", data)))
        corpus = data.get("corpus") or {}
        documents = corpus.get("documents", []) if isinstance(corpus, dict) else None
        if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
            raise ValueError(f"{path}: corpus.documents is not a list of document ids")
        general = data.get("general")
        if general is not None and not isinstance(general, dict):
            raise ValueError(f"{path}: general is not an object of thresholds")
        return cls(thresholds, frozenset(documents),
                   Thresholds(**_thresholds(path, general)) if general is not None else None)

    def holds_for(self, chunks_per_document: Mapping[str, int]) -> bool:
        """Whether the calibrated thresholds hold for an index with these passages per document."""
        if self.general is None or not self.documents:
            return True
        total = sum(chunks_per_document.values())
        known = sum(n for doc_id, n in chunks_per_document.items() if doc_id in self.documents)
        return total > 0 and known / total >= CORPUS_SHARE

    def for_documents(self, chunks_per_document: Mapping[str, int]) -> Thresholds:
        """The thresholds for an index with these passages per document (``holds_for``)."""
        return self.thresholds if self.holds_for(chunks_per_document) else self.general


@dataclass
class Verdict:
    status: str
    reason: str = ""


def decide(evidence: Any, language: str, thresholds: Thresholds) -> Verdict:
    """ANSWERED, PARTIAL or ABSTAINED from the evidence features (``extractive.Evidence``)."""
    german = language == "de"
    minimum = thresholds.min_similarity if german else thresholds.min_similarity_cross
    # A short "Was ist ein Meldeversäumnis?" scores low against any long sentence; the unit the
    # definition route placed first (it defines, names or is titled by the asked term) answers it.
    # So does the corpus for a question near one of its training questions.
    if (evidence.best_similarity < minimum and not evidence.defines_asked_term
            and not near_a_training_question(evidence.training_similarity)):
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
    takes for granted.

    A presupposed event is stated only by a sentence that names it together with something of
    the subject the question gives it, in a unit whose text names the year: "Warum wurde das
    Bürgergeld 2025 abgeschafft?" is not stated by "Mit dem … Gesetz 2024 … wurde diese Leistung
    zum 28.03.2024 abgeschafft." (another subject), nor by a Fassung's "Stand: 2025"."""
    present_text = " ".join(f"{c.label} {c.title} {c.stand} {c.text}" for c in chunks if c is not None)
    missing = [year for year in dict.fromkeys(_YEAR.findall(question)) if year not in present_text]
    trigger = _PRESUPPOSING.search(question)
    if trigger:
        clause = question[trigger.end():]
        events = [w for w in re.findall(r"[^\W\d_]{4,}", clause) if _PARTICIPLE.match(w)]
        event_stems = {s for w in events for s in tokenize_german(w)}
        years = list(dict.fromkeys(_YEAR.findall(clause)))
        subject = [t for t in dict.fromkeys(tokenize_german(clause))
                   if t not in event_stems and t not in _AUXILIARY_STEMS and not t.isdigit()]
        # Per sentence: its terms and its unit's text (the year may stand in another sentence of
        # the unit, not in its label or Stand).
        sentences = [(set(tokenize_german(text[start:end])), text) for text in (c.text for c in chunks if c is not None)
                     for start, end in split_sentences(text)]
        for word in events:
            stems = tokenize_german(word)
            if not stems:
                continue
            if not any(all(term_present(s, terms) for s in stems)
                       and (not subject or any(term_present(t, terms) for t in subject))
                       and all(year in text for year in years)
                       for terms, text in sentences):
                missing += years + [word]
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
