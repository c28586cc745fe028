"""Evaluation on SQuAD-style data sets (``python -m evaluation squad``).

Reads SQuAD v1.1 and v2.0 JSON (also GermanQuAD, XQuAD and MLQA, which use the same layout:
``data[].paragraphs[].context`` and ``.qas[]`` with ``question``, ``id``, ``answers[].text``
and, in v2.0, ``is_impossible``). Every distinct paragraph becomes one document of a
separate index; every question is asked against all paragraphs, and

* ``recall@1``, ``recall@5``, ``mrr@10``: rank of the gold paragraph among the paragraphs of
  the retrieved chunks (several chunks of one paragraph count once), answerable questions;
* ``answer_in_citations``: share of answerable questions answered with a cited passage that
  contains a gold answer string (normalised as in ``evaluation.metrics.normalise``);
* ``abstention`` / ``false_abstention``: on impossible / answerable questions.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation import metrics
from evaluation.indexes import EvaluationError, Paragraph, paragraph_index, paragraph_of
from evaluation.runner import (DEFAULT_K, answer_modes, answerability_config, ask_all, case_of, open_assistant,
                               passages_of, run_config)
from fundstelle.settings import Settings

# A first line this short, followed by more text, is the article title (GermanQuAD contexts
# start with it); it becomes the document title, as the generic loader does for PDFs.
TITLE_MAX_CHARS = 100


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    pid: str                      # paragraph the question was written on
    answers: tuple[str, ...]      # gold answer strings (empty for impossible questions)
    impossible: bool


@dataclass
class SquadSet:
    """A loaded SQuAD file: distinct paragraphs by id, questions in file order."""

    version: str
    paragraphs: dict[str, Paragraph] = field(default_factory=dict)
    questions: list[SquadQuestion] = field(default_factory=list)

    @property
    def n_impossible(self) -> int:
        return sum(1 for q in self.questions if q.impossible)


def paragraph_id(context: str) -> str:
    """Stable id of a paragraph: a hash of its text (identical contexts are one paragraph)."""
    return hashlib.sha256(context.encode("utf-8")).hexdigest()[:16]


def paragraph_title(article_title: str | None, context: str) -> str:
    """The article's title when the file gives one, else a short first line of the context,
    else "Absatz"."""
    if article_title and article_title.strip():
        return article_title.replace("_", " ").strip()
    first, _, rest = context.strip().partition("\n")
    first = first.strip()
    if first and rest.strip() and len(first) <= TITLE_MAX_CHARS:
        return first
    return "Absatz"


def load_squad(path: Path | str) -> SquadSet:
    """Read a SQuAD v1.1 / v2.0 style file.

    A question is impossible when ``is_impossible`` is true or it has no answers (v1.1
    questions always have answers). Raises ``EvaluationError`` for files that are not in
    this layout.
    """
    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"SQuAD file {path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvaluationError(f"{path} is not a JSON file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise EvaluationError(f"{path} is not SQuAD-style JSON (no 'data' list)")
    squad = SquadSet(version=str(data.get("version", "")))
    seen_ids: set[str] = set()
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article.get("paragraphs") or ()):
            context = paragraph.get("context")
            if not isinstance(context, str) or not context.strip():
                raise EvaluationError(f"{path}: data[{a}].paragraphs[{p}] has no context")
            pid = paragraph_id(context)
            squad.paragraphs.setdefault(pid, Paragraph(pid, paragraph_title(article.get("title"), context), context))
            for q, qa in enumerate(paragraph.get("qas") or ()):
                if "question" not in qa:
                    raise EvaluationError(f"{path}: data[{a}].paragraphs[{p}].qas[{q}] has no question")
                qid = str(qa.get("id", f"{a}-{p}-{q}"))
                if qid in seen_ids:
                    qid = f"{qid}#{a}-{p}-{q}"
                seen_ids.add(qid)
                answers = tuple(dict.fromkeys(ans["text"] for ans in qa.get("answers") or () if ans.get("text")))
                impossible = bool(qa.get("is_impossible")) or not answers
                squad.questions.append(SquadQuestion(qid, str(qa["question"]), pid, () if impossible else answers,
                                                     impossible))
    if not squad.questions:
        raise EvaluationError(f"{path} holds no questions")
    return squad


def spread(items: list, limit: int | None) -> list:
    """``limit`` items spread evenly over the list (deterministic), or all of them.

    SQuAD files group questions by paragraph, so the first N would test a few paragraphs only.
    """
    if not limit or limit >= len(items):
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def passage_paragraph(passage) -> str:
    """Paragraph id of a retrieved passage (from its document id, or its chunk id)."""
    doc_id = getattr(passage, "doc_id", "") or passage.chunk_id.split("#", 1)[0]
    return paragraph_of(doc_id)


def run_squad(path: Path | str, settings: Settings, mode: str | None = None,
              retriever: str = "hybrid", out: Path | str | None = None, *, k: int = DEFAULT_K,
              limit: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Evaluate paragraph retrieval and answers on a SQuAD-style file; return the report dict.

    All paragraphs of the file form the corpus even with ``limit`` (which asks only N
    questions, spread over the file), so recall stays comparable. With ``out`` the report
    files are written there (``report.json``, ``report.md``, ``chart.png`` and
    ``per_question.jsonl``).
    """
    path = Path(path)
    squad = load_squad(path)
    questions = spread(squad.questions, limit)
    index_settings = paragraph_index(settings, squad.paragraphs, progress=progress)
    assistant = open_assistant(index_settings, retriever)
    asked = ask_all(assistant, [q.question for q in questions], k=k, mode=mode, progress=progress)
    rows, cases = [], []
    for question, result in zip(questions, asked):
        case = case_of(result, answerable=not question.impossible, evidence=question.answers)
        cases.append(case)
        passages = passages_of(result)
        rank = metrics.first_relevant_rank([passage_paragraph(p) for p in passages], {question.pid})
        found = not case["abstained"] and any(metrics.holds_evidence(c["text"], question.answers)
                                              for c in case["citations"])
        rows.append({
            "id": question.id, "question": question.question, "paragraph": question.pid,
            "kind": "impossible" if question.impossible else "answerable",
            "paragraph_rank": rank, "abstained": case["abstained"],
            "status": result.answer.status if result.answer is not None else "",
            "abstain_reason": result.answer.abstain_reason if result.answer is not None else "",
            "answer_in_citations": found if not question.impossible else None,
            "citations": len(case["citations"]), "latency_ms": round(result.latency_ms, 1),
            "answers": list(question.answers), "answer": result.answer.text if result.answer is not None else "",
            "error": result.error,
        })
    ranks = [row["paragraph_rank"] for row in rows if row["kind"] == "answerable"]
    latencies = [row["latency_ms"] for row in rows]
    report = {
        "n": len(rows),
        "n_impossible": sum(1 for q in questions if q.impossible),
        "recall@1": metrics.recall_at_k(ranks, 1),
        "recall@5": metrics.recall_at_k(ranks, 5),
        "mrr@10": metrics.mrr_at_k(ranks, 10),
        "answer_in_citations": metrics.answer_support(cases),
        "abstention": metrics.abstention(cases),
        "false_abstention": metrics.false_abstention(cases),
        "latency_p50_ms": metrics.percentile(latencies, 50),
        "latency_p95_ms": metrics.percentile(latencies, 95),
        "config": run_config(settings, retriever=retriever, mode=mode, k=k, dataset=str(path),
                             version=squad.version, paragraphs=len(squad.paragraphs),
                             questions_in_file=len(squad.questions), limit=limit, index=str(index_settings.data),
                             errors=sum(1 for r in asked if r.error), answer_modes=answer_modes(asked),
                             **answerability_config(assistant)),
    }
    if out is not None:
        from evaluation.report import write_squad_report

        write_squad_report(report, rows, Path(out))
    return report
