"""Extractive answers: the best 1–4 sentences of the retrieved passages, verbatim, each with
its marker. Every sentence is verifiable by construction. Also computes the evidence
features that abstention is decided on."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from index.german import tokenize_german
from retrieval.injection import is_instruction_like
from retrieval.search import Hit
from fundstelle.sentences import split_sentences

_CONTINUATION = re.compile(r"^(Vielmehr|Dies|Dabei|Danach|Hierbei|Insoweit|Allerdings|Jedoch|Zudem|Außerdem|Daher|"
                           r"Deshalb|Sie|Er|Es|Diese|Dieser|Dieses|Hierzu|Darüber hinaus)\b")
_ENUMERATION_ONLY = re.compile(r"^\(?\d+[a-z]?[.)]?$|^[a-z]\)$")


def _is_question_answer(hit: Hit) -> bool:
    return hit.chunk.kind == "landtag" and bool(hit.chunk.locator.get("frage"))


def _is_asker_preamble(hit: Hit) -> bool:
    return hit.chunk.kind == "landtag" and hit.chunk.locator.get("teil") == "vorbemerkung"


def question_end(text: str) -> int:
    """End of the leading question part of a Frage/Antwort chunk ("3. Welche …? (Bitte …)")."""
    end = 0
    for start, stop in split_sentences(text):
        sentence = text[start:stop].strip()
        if sentence.endswith("?"):
            end = stop
        elif end or start > 600:
            break
    # A request in parentheses after the question ("(Bitte … ausweisen)") is part of it.
    aside = re.match(r"\s*\([^()]{0,400}\)", text[end:]) if end else None
    return end + aside.end() if aside else end


@dataclass
class Candidate:
    hit_index: int
    start: int
    end: int
    text: str
    similarity: float = 0.0
    overlap: float = 0.0
    score: float = 0.0


@dataclass
class Evidence:
    """What abstention looks at."""

    best_similarity: float
    best_overlap: float
    top_dense: float


class ExtractiveAnswerer:
    MAX_SENTENCES = 4
    MAX_PASSAGES = 5
    MAX_SENTENCES_PER_PASSAGE = 12
    MARGIN = 0.04           # further sentences must score within this of the best one
    OVERLAP_WEIGHT = 0.08
    ASKER_PENALTY = 0.06
    QUESTION_MATCH_MIN = 0.86   # question-to-question e5 cosine; unrelated questions stay below
    QUESTION_MATCH_MIN_CROSS_LINGUAL = 0.80   # across languages the same question scores lower
    # Similarities across languages are flatter and less certain: quote the best sentence of
    # up to four passages within a wider margin.
    CROSS_LINGUAL_MARGIN = 0.05

    def __init__(self, embedder) -> None:
        self.embedder = embedder

    def candidates(self, hits: Sequence[Hit]) -> list[Candidate]:
        out = []
        for index, hit in enumerate(hits):
            # The top passages, plus any parliamentary Q/A pair retrieved at all: its question
            # may match the user's better than its rank says.
            if index >= self.MAX_PASSAGES and not _is_question_answer(hit):
                continue
            text = hit.chunk.text
            count = 0
            answer_start = question_end(text) if _is_question_answer(hit) else 0
            for start, end in split_sentences(text):
                if end <= answer_start:
                    continue  # the parliamentary question itself is not an answer
                start = max(start, answer_start)
                while start < end and text[start].isspace():
                    start += 1
                sentence = text[start:end]
                stripped = sentence.strip()
                # Questions are not claims, bare enumerators or headings are no answer, and
                # fully parenthetical asides ("(Bitte … ausweisen)") belong to the question.
                if (stripped.endswith("?") or len(stripped) < 25 or _ENUMERATION_ONLY.match(stripped)
                        or (stripped.startswith("(") and stripped.rstrip(".").endswith(")"))
                        or is_instruction_like(stripped)):
                    continue
                out.append(Candidate(index, start, end, sentence))
                count += 1
                if count >= self.MAX_SENTENCES_PER_PASSAGE:
                    break
        return out

    def score(self, question: str, question_vector: np.ndarray, candidates: list[Candidate], german: bool,
              hits: Sequence[Hit] = ()) -> None:
        """Similarity to the question, plus term overlap (German questions), minus a small
        rank penalty. Two source-aware adjustments:

        * the answer to a parliamentary question that matches the user's question answers it:
          its sentences score at least the question-to-question similarity;
        * the questioners' Vorbemerkung states their premises, not the government's answer:
          its sentences get a penalty, so they are quoted only when nothing else answers.
        """
        if not candidates:
            return
        q_vector = np.asarray(question_vector, dtype=np.float32)
        vectors = self.embedder.embed_passages([c.text for c in candidates])
        sims = vectors @ q_vector
        question_match: dict[int, float] = {}
        qa_hits = sorted({c.hit_index for c in candidates if hits and _is_question_answer(hits[c.hit_index])})
        if qa_hits:
            # Question to question is a symmetric comparison: both sides as queries.
            texts = [hits[i].chunk.text[:question_end(hits[i].chunk.text)] for i in qa_hits]
            matches = [float(self.embedder.embed_query(t) @ q_vector) for t in texts]
            question_match = dict(zip(qa_hits, matches))
        q_terms = set(tokenize_german(question))
        first_in_passage: set[int] = set()
        for candidate, sim in sorted(zip(candidates, sims), key=lambda pair: (pair[0].hit_index, pair[0].start)):
            terms = set(tokenize_german(candidate.text))
            candidate.similarity = float(sim)
            candidate.overlap = len(q_terms & terms) / len(q_terms) if q_terms else 0.0
            score = (candidate.similarity + (self.OVERLAP_WEIGHT * candidate.overlap if german else 0.0)
                     - 0.004 * candidate.hit_index)
            match = question_match.get(candidate.hit_index, 0.0)
            threshold = self.QUESTION_MATCH_MIN if german else self.QUESTION_MATCH_MIN_CROSS_LINGUAL
            if match >= threshold and candidate.hit_index not in first_in_passage:
                score = max(score, match)
            first_in_passage.add(candidate.hit_index)
            if hits and _is_asker_preamble(hits[candidate.hit_index]):
                score -= self.ASKER_PENALTY
            candidate.score = score

    def select(self, candidates: list[Candidate], cross_lingual: bool = False) -> list[Candidate]:
        """Best sentence, close runners-up (max two per passage), and a continuation sentence
        ("Vielmehr …") right after a chosen one; ordered by passage rank and position."""
        ranked = sorted(candidates, key=lambda c: -c.score)
        if not ranked:
            return []
        best = ranked[0].score
        margin = self.CROSS_LINGUAL_MARGIN if cross_lingual else self.MARGIN
        per_passage_limit = 1 if cross_lingual else 2
        chosen: list[Candidate] = []
        seen: set[str] = set()
        per_passage: dict[int, int] = {}
        for candidate in ranked:
            if len(chosen) >= self.MAX_SENTENCES - (0 if cross_lingual else 1) or candidate.score < best - margin:
                break
            key = re.sub(r"\W+", "", candidate.text.casefold())
            if key in seen or per_passage.get(candidate.hit_index, 0) >= per_passage_limit:
                continue
            seen.add(key)
            per_passage[candidate.hit_index] = per_passage.get(candidate.hit_index, 0) + 1
            chosen.append(candidate)
        by_position = {(c.hit_index, c.start): c for c in candidates}
        for candidate in list(chosen):
            following = [c for c in candidates if c.hit_index == candidate.hit_index and c.start > candidate.start]
            if following and len(chosen) < self.MAX_SENTENCES:
                nxt = min(following, key=lambda c: c.start)
                key = re.sub(r"\W+", "", nxt.text.casefold())
                if _CONTINUATION.match(nxt.text) and key not in seen and (nxt.hit_index, nxt.start) in by_position:
                    seen.add(key)
                    chosen.append(nxt)
        return sorted(chosen, key=lambda c: (c.hit_index, c.start))

    @staticmethod
    def evidence(hits: Sequence[Hit], candidates: list[Candidate]) -> Evidence:
        """The similarity of the best answer sentence (what abstention is decided on) and of
        the best passage, for the record."""
        best = max(candidates, key=lambda c: c.score) if candidates else None
        top_dense = max((h.dense_similarity or 0.0) for h in hits) if hits else 0.0
        return Evidence(best_similarity=best.similarity if best else 0.0,
                        best_overlap=best.overlap if best else 0.0, top_dense=top_dense)
