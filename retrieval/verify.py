"""Citation verification: every answer sentence must be backed by the passage it cites.

Checks, for each sentence:
1. its markers point to a returned citation (others are dropped and logged);
2. every number and date in the sentence occurs in the cited passage;
3. it is supported: high lexical containment in a passage sentence (same language), or
   high embedding similarity (other language), and no negation flip;
4. the supporting sentence is not part of an example or worked case (its role, see
   ``index.roles``), unless the question asked for an example;
Unsupported sentences are flagged "nicht belegt" and never shown as cited. Uncited
sentences get a citation post hoc only where the check passes.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index.german import tokenize_german
from index.roles import EXAMPLE, role_of
from retrieval.injection import is_instruction_like
from retrieval.answer import LEAD, UNSUPPORTED, VERIFIED, Citation, SentenceCheck
from fundstelle.sentences import split_sentences

log = logging.getLogger(__name__)

MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_TRAILING_MARKERS = re.compile(r"([.!?])\s*((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)")
_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(nicht|kein|keine|keinen|keinem|keiner|nie|niemals|weder|no|not|never|none)\b",
                       re.IGNORECASE)
_LEAD_PHRASES = re.compile(r"^(laut den quellen|according to the sources|nach den quellen)\s*:?\s*$", re.I)


def normalise_number(raw: str) -> str:
    """'1.000' -> '1000', '11,5' -> '11,5', '30.' -> '30'."""
    raw = raw.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
        return raw.replace(".", "")
    return raw


def numbers_in(text: str) -> set[str]:
    return {normalise_number(m.group(0)) for m in _NUMBER.finditer(text) if m.group(0).rstrip(".,")}


_MARKER_END = re.compile(r"(?<=\])[.!?]\s+")


def _after_markers(text: str) -> list[tuple[int, str]]:
    """(offset, part) pieces of ``text`` cut after every "[n]." sentence end."""
    out, start = [], 0
    for match in _MARKER_END.finditer(text):
        out.append((start, text[start:match.end()]))
        start = match.end()
    out.append((start, text[start:]))
    return [(offset, part) for offset, part in out if part.strip()]


def parse_markers(text: str) -> list[tuple[str, list[int]]]:
    """Split an answer into (sentence without markers, marker numbers) pairs. A marker that
    follows the sentence end ("Satz. [1]") belongs to that sentence."""
    pieces: list[tuple[str, list[int]]] = []
    # "Satz. [1] Nächster" -> "Satz [1]. Nächster": the marker stays with its sentence.
    text = _TRAILING_MARKERS.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    # A marker closing a sentence ends it, whatever follows: a quoted sentence may begin with
    # "§ 22 Abs. 4 …", which the passage splitter would join to the sentence before.
    spans = [(offset + s, offset + e) for offset, part in _after_markers(text) for s, e in split_sentences(part)]
    for start, end in spans:
        fragment = text[start:end]
        numbers = [int(n) for group in MARKER.findall(fragment) for n in re.split(r"\s*[,;]\s*", group)]
        clean = " ".join(MARKER.sub(" ", fragment).split())
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if not clean.strip(" .,;:") and pieces:
            pieces[-1][1].extend(numbers)
            continue
        pieces.append((clean, numbers))
    return pieces


@dataclass
class SupportResult:
    supported: bool
    score: float
    span: tuple[int, int] | None
    reason: str = ""


def quoted_clause(sentence: str, evidence: str) -> str:
    """The part of ``evidence`` a verbatim quote stands for: from where the quote begins to the
    end of the clause it ends in (the next comma, semicolon, colon or full stop). A quote cut
    after the first item of a list ("… wenn 1. … herbeigeführt hat (Sperrzeit bei
    Arbeitsaufgabe)") is measured against that item, not against the "nicht" of the items it
    leaves out; a quote that stops before a "nicht" of its own clause ("Der Anspruch besteht"
    of "Der Anspruch besteht nicht, wenn …") still meets it. The whole evidence where the
    sentence is not a verbatim piece of it."""
    core = " ".join(sentence.split()).rstrip(" .")
    text = " ".join(evidence.split())
    start = text.find(core) if core else -1
    if start < 0:
        return evidence
    end = start + len(core)
    clause_end = re.search(r"[,;:.]", text[end:])
    return text[start:end + (clause_end.start() if clause_end else len(text) - end)]


class Verifier:
    """Checks sentences against passages. ``embedder`` is the index's embedding model."""

    LEXICAL_MIN = 0.75        # share of the sentence's terms found in one passage sentence (window)
    LEXICAL_WITH_EMBEDDING = 0.45
    EMBEDDING_SAME_LANGUAGE = 0.86
    EMBEDDING_CROSS_LANGUAGE = 0.87

    def __init__(self, embedder) -> None:
        self.embedder = embedder

    def support(self, sentence: str, passage: str, *, cross_language: bool = False) -> SupportResult:
        # Instruction-like document sentences never support anything.
        spans = [(s, e) for s, e in (split_sentences(passage) or [(0, len(passage))])
                 if not is_instruction_like(passage[s:e])]
        if not spans or is_instruction_like(sentence):
            return SupportResult(False, 0.0, None, "anweisungsartiger Text")
        sentence_terms = set(tokenize_german(sentence))
        if not sentence_terms:
            return SupportResult(False, 0.0, None, "no content")
        # Lexical: best containment in a window of one or two consecutive passage sentences.
        # Single sentences are tried first, so a tie goes to the narrower window: a sentence
        # quoted whole is supported by itself, not by itself and its neighbour (whose role,
        # an example before a rule, would otherwise decide).
        # Each sentence is tokenised once; a window of two is the union of the kept sentences'
        # terms (a removed sentence between them must not lend its words).
        best_lex, best_span = 0.0, spans[0]
        span_terms = [set(tokenize_german(passage[s:e])) for s, e in spans]
        windows = [(i, i) for i in range(len(spans))] + [(i, i + 1) for i in range(len(spans) - 1)]
        for i, j in windows:
            terms = span_terms[i] if i == j else span_terms[i] | span_terms[j]
            score = len(sentence_terms & terms) / len(sentence_terms)
            if score > best_lex:
                best_lex, best_span = score, (spans[i][0], spans[j][1])
        missing_numbers = numbers_in(sentence) - numbers_in(passage)
        if missing_numbers:
            return SupportResult(False, best_lex, best_span,
                                 "Zahl/Datum nicht in der Quelle: " + ", ".join(sorted(missing_numbers)))
        if best_lex >= self.LEXICAL_MIN and not self._negation_flip(
                sentence, quoted_clause(sentence, passage[best_span[0]:best_span[1]])):
            return SupportResult(True, best_lex, best_span)
        texts = [passage[s:e] for s, e in spans]
        vectors = self.embedder.embed_passages([sentence, *texts])
        sims = vectors[1:] @ vectors[0]
        k = int(np.argmax(sims))
        sim = float(sims[k])
        span = spans[k]
        threshold = self.EMBEDDING_CROSS_LANGUAGE if cross_language else self.EMBEDDING_SAME_LANGUAGE
        lexical_ok = cross_language or best_lex >= self.LEXICAL_WITH_EMBEDDING
        if sim >= threshold and lexical_ok and not self._negation_flip(sentence, passage[span[0]:span[1]]):
            return SupportResult(True, sim, span)
        return SupportResult(False, max(sim, best_lex), span, "von der zitierten Stelle nicht gestützt")

    @staticmethod
    def _negation_flip(sentence: str, evidence: str) -> bool:
        return bool(_NEGATION.search(sentence)) != bool(_NEGATION.search(evidence))

    def support_in(self, sentence: str, citation: Citation, *, cross_language: bool = False,
                   allow_examples: bool = False) -> SupportResult:
        """``support`` against a citation's passage; support found only in an example sentence
        of the passage does not count (an example illustrates a rule, it does not state it)."""
        result = self.support(sentence, citation.passage, cross_language=cross_language)
        if (result.supported and not allow_examples and citation.roles and result.span
                and role_of(citation.roles, *result.span) == EXAMPLE):
            return SupportResult(False, result.score, result.span, "stammt aus einem Beispiel, nicht aus der Regel")
        return result

    def verify(self, answer_text: str, citations: Sequence[Citation], *, cross_language: bool = False,
               attach_post_hoc: bool = True, allow_examples: bool = False
               ) -> tuple[list[SentenceCheck], list[Citation], str]:
        """Check an answer (e.g. from an LLM). Returns sentence checks, the citations still used
        (renumbered in order of first use) and the cleaned answer text."""
        by_number = {c.number: c for c in citations}
        checks: list[SentenceCheck] = []
        used: list[int] = []
        for sentence, markers in parse_markers(answer_text):
            if not sentence:
                continue
            if _LEAD_PHRASES.match(sentence):
                checks.append(SentenceCheck(sentence, [], LEAD))
                continue
            valid = [m for m in dict.fromkeys(markers) if m in by_number]
            dropped = [m for m in markers if m not in by_number]
            if dropped:
                log.info("dropped markers pointing to no passage: %s", dropped)
            supported_by: list[int] = []
            best = SupportResult(False, 0.0, None, "keine Quelle angegeben")
            for number in valid:
                result = self.support_in(sentence, by_number[number], cross_language=cross_language,
                                         allow_examples=allow_examples)
                if result.supported:
                    supported_by.append(number)
                    by_number[number].support_span = by_number[number].support_span or result.span
                if result.score >= best.score:
                    best = result
            reason = best.reason
            if not supported_by and attach_post_hoc:
                for citation in citations:
                    if citation.number in valid:
                        continue
                    result = self.support_in(sentence, citation, cross_language=cross_language,
                                             allow_examples=allow_examples)
                    if result.supported:
                        supported_by.append(citation.number)
                        citation.support_span = citation.support_span or result.span
                        reason = "Quelle nachträglich zugeordnet"
                        break
            if supported_by:
                checks.append(SentenceCheck(sentence, supported_by, VERIFIED, reason if not valid else "",
                                            support=best.score))
                used.extend(n for n in supported_by if n not in used)
            else:
                checks.append(SentenceCheck(sentence, [], UNSUPPORTED, reason or "nicht belegt", support=best.score))
        return renumber(checks, [by_number[n] for n in used])


def renumber(checks: list[SentenceCheck], citations: list[Citation]) -> tuple[list[SentenceCheck], list[Citation], str]:
    """Number citations 1..n in order of first use and render the answer text."""
    mapping = {c.number: i for i, c in enumerate(citations, start=1)}
    for citation in citations:
        citation.number = mapping[citation.number]
    for check in checks:
        check.markers = [mapping[m] for m in check.markers if m in mapping]
    return checks, citations, render_answer(checks)


def render_answer(checks: Sequence[SentenceCheck]) -> str:
    parts = []
    for check in checks:
        if check.status == VERIFIED:
            parts.append(check.text + " " + "".join(f"[{m}]" for m in check.markers))
        elif check.status == UNSUPPORTED:
            parts.append(f"{check.text} ({UNSUPPORTED})")
        else:
            parts.append(check.text)
    return " ".join(parts).strip()
