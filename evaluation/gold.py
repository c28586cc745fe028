"""Evaluation on a gold set of questions with verbatim evidence quotes (``python -m evaluation gold``).

Gold format (``../shared/eval/README.md``): one JSON object per line with ``id``,
``question``, ``answerable``, ``evidence`` (verbatim quotes, any one suffices) and optionally
``lang``, ``kind``, ``source``, ``locator``, ``answer``, ``difficulty``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation import metrics
from evaluation.indexes import EvaluationError, corpus_index
from evaluation.split import HALVES, half_of
from evaluation.runner import (DEFAULT_K, answer_modes, answerability_config, ask_all, case_of, open_assistant,
                               passages_of, run_config)
from fundstelle.settings import Settings

REQUIRED_KEYS = ("id", "question", "answerable", "evidence")
# How many retrieved / cited labels a per-question row keeps (enough to see why it failed).
LABELS_KEPT = 3


def load_gold(path: Path) -> list[dict[str, Any]]:
    """The gold items of a JSONL file, validated (required keys, unique ids, evidence for
    answerable items). Raises ``EvaluationError`` naming the line."""
    path = Path(path)
    if not path.is_file():
        raise EvaluationError(f"gold file {path} does not exist")
    items, seen = [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvaluationError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        missing = [key for key in REQUIRED_KEYS if key not in item]
        if missing:
            raise EvaluationError(f"{path}:{number}: missing {', '.join(missing)}")
        if not isinstance(item["evidence"], list) or (item["answerable"] and not item["evidence"]):
            raise EvaluationError(f"{path}:{number}: 'evidence' must be a non-empty list for answerable items")
        if item["id"] in seen:
            raise EvaluationError(f"{path}:{number}: duplicate id '{item['id']}'")
        seen.add(item["id"])
        items.append(item)
    if not items:
        raise EvaluationError(f"{path} holds no questions")
    return items


def question_row(item: dict[str, Any], case: dict[str, Any], passages: list, asked) -> dict[str, Any]:
    """The per-question record of the report (what a reader needs to see why it failed)."""
    answer = asked.answer
    evidence = item["evidence"]
    answerable = bool(item["answerable"])
    citation_numbers = {c["number"] for c in case["citations"]}
    markers_ok, markers_all = metrics.marker_counts(case["text"], citation_numbers)
    claims = [s for s in case["sentences"] if s != metrics.LEAD]
    holding = sum(metrics.holds_evidence(c["text"], evidence) for c in case["citations"])
    return {
        "id": item["id"],
        "question": item["question"],
        "lang": item.get("lang", ""),
        "kind": item.get("kind", "") or ("none" if not answerable else ""),
        "difficulty": item.get("difficulty", ""),
        "answerable": answerable,
        "locator": item.get("locator", ""),
        "evidence_rank": metrics.evidence_rank([p.text for p in passages], evidence) if answerable else None,
        "abstained": case["abstained"],
        "supported": (not case["abstained"] and holding > 0) if answerable else None,
        "citations": len(case["citations"]),
        "citations_holding": holding if answerable else None,
        "markers": markers_all,
        "markers_resolvable": markers_ok,
        "sentences": len(claims) if not case["abstained"] else 0,
        "sentences_verified": sum(s == metrics.VERIFIED for s in claims) if not case["abstained"] else 0,
        "latency_ms": round(asked.latency_ms, 1),
        "half": half_of(item["id"]),
        "retrieved": [p.label for p in passages[:LABELS_KEPT]],
        # Why the top passages and the evidence passage ranked where they did (a miss must be
        # explainable from the report alone).
        "why_top": [_why(p) for p in passages[:LABELS_KEPT]],
        "why_evidence": _why(passages[rank - 1]) if answerable and (rank := metrics.evidence_rank(
            [p.text for p in passages], evidence)) else "",
        # The corpus words a question in another language was searched with (index.word_bridge).
        "word_bridge": dict(answer.settings.get("word_bridge") or {}) if answer is not None else {},
        "cited": [c.label for c in answer.citations[:LABELS_KEPT]] if answer is not None else [],
        "answer": answer.text if answer is not None else "",
        "abstain_reason": answer.abstain_reason if answer is not None else "",
        "error": asked.error,
    }


def _why(passage) -> str:
    reasons = getattr(passage, "reasons", None) or {}
    return f"{passage.label}: " + "; ".join(f"{k} {v}" for k, v in reasons.items())


def summarise(rows: list[dict[str, Any]], cases: list[dict[str, Any]], config: dict[str, Any],
              halves: bool = True) -> dict[str, Any]:
    """The report: exactly the keys of the gold report, in the documented order; with
    ``halves`` also the same figures for the tuning and the check half (``evaluation.split``)."""
    ranks = [row["evidence_rank"] for row in rows if row["answerable"]]
    latencies = [row["latency_ms"] for row in rows]
    by_half = {}
    if halves:
        for half in HALVES:
            picked = [i for i, row in enumerate(rows) if row.get("half") == half]
            if picked:
                part = summarise([rows[i] for i in picked], [cases[i] for i in picked], {}, halves=False)
                by_half[half] = {k: v for k, v in part.items() if k not in ("config", "per_question", "halves")}
    return {
        "n_answerable": sum(1 for row in rows if row["answerable"]),
        "n_unanswerable": sum(1 for row in rows if not row["answerable"]),
        "evidence_recall@1": metrics.recall_at_k(ranks, 1),
        "evidence_recall@5": metrics.recall_at_k(ranks, 5),
        "evidence_recall@10": metrics.recall_at_k(ranks, 10),
        "mrr@10": metrics.mrr_at_k(ranks, 10),
        "answer_support": metrics.answer_support(cases),
        "citation_precision": metrics.citation_precision(cases),
        "markers_resolvable": metrics.markers_resolvable(cases),
        "sentences_verified": metrics.sentences_verified(cases),
        "abstention": metrics.abstention(cases),
        "false_abstention": metrics.false_abstention(cases),
        "latency_p50_ms": metrics.percentile(latencies, 50),
        "latency_p95_ms": metrics.percentile(latencies, 95),
        "halves": by_half,
        "config": config,
        "per_question": rows,
    }


def run_gold(gold_path: Path | str, settings: Settings, corpus: Path | str | None = None,
             mode: str | None = None, retriever: str = "hybrid", out: Path | str | None = None, *,
             k: int = DEFAULT_K, limit: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Evaluate the assistant on a gold JSONL file and return the report dict.

    The index of ``corpus`` (default: the configured corpus) is built or updated first in
    its own evaluation data folder (``evaluation.indexes.corpus_index``). Every question is
    asked once with ``k`` passages; with ``out`` the report files are written there
    (``report.json``, ``report.md``, ``chart.png``). ``limit`` asks only the first N questions.
    """
    gold_path = Path(gold_path)
    items = load_gold(gold_path)[:limit] if limit else load_gold(gold_path)
    index_settings, _ = corpus_index(settings, Path(corpus) if corpus else None, progress=progress)
    assistant = open_assistant(index_settings, retriever)
    asked = ask_all(assistant, [item["question"] for item in items], k=k, mode=mode, progress=progress)
    rows, cases = [], []
    for item, result in zip(items, asked):
        case = case_of(result, answerable=bool(item["answerable"]), evidence=item["evidence"])
        cases.append(case)
        rows.append(question_row(item, case, passages_of(result), result))
    config = run_config(settings, retriever=retriever, mode=mode, k=k, gold=str(gold_path),
                        corpus=str(index_settings.corpus), index=str(index_settings.data), limit=limit,
                        errors=sum(1 for r in asked if r.error), answer_modes=answer_modes(asked),
                        **answerability_config(assistant))
    report = summarise(rows, cases, config)
    if out is not None:
        from evaluation.report import write_gold_report

        write_gold_report(report, Path(out))
    return report
