"""Asking the assistant every question of a set, timed, and describing the run.

Shared by the gold and SQuAD evaluations: ``open_assistant`` (with a retriever choice),
``ask_all`` (warm-up, wall-clock latency, per-question errors recorded instead of ending the
run), ``case_of`` (an ``Answer`` as a metrics case, see ``evaluation.metrics``) and
``run_config`` (what a report needs to be reproduced and compared).
"""
from __future__ import annotations

import inspect
import logging
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from fundstelle.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

RETRIEVERS = ("hybrid", "dense", "bm25")
MODES = ("extractive", "llm")
DEFAULT_K = 10
WARM_UP_QUESTION = "Was regelt § 1 SGB II?"


@dataclass
class Asked:
    """One question's outcome: the answer (None when asking raised) and the wall-clock time."""

    answer: Any | None
    latency_ms: float
    error: str = ""


def open_assistant(settings: Settings, retriever: str = "hybrid"):
    """An ``Assistant`` over the index in ``settings`` using the given retriever."""
    from retrieval import Assistant

    if retriever not in RETRIEVERS:
        raise ValueError(f"retriever must be one of {', '.join(RETRIEVERS)}, not '{retriever}'")
    if "retriever" in inspect.signature(Assistant).parameters:
        return Assistant(settings, retriever=retriever)
    if retriever != "hybrid":
        raise RuntimeError("this version of retrieval.Assistant has no 'retriever' option")
    return Assistant(settings)


def ask_all(assistant, questions: Sequence[str], *, k: int = DEFAULT_K, mode: str | None = None,
            progress: bool = True, desc: str = "Questions") -> list[Asked]:
    """Ask each question once, in order.

    One untimed warm-up question first, so model loading does not land in the first
    question's latency. Latency is wall-clock time around ``ask`` (what a user waits).
    A question that raises is recorded with its error (and counts as abstained in the
    metrics); the run goes on.
    """
    from tqdm import tqdm

    try:
        assistant.ask(WARM_UP_QUESTION, k=k, mode=mode)
    except Exception:  # the warm-up only loads models; real errors show on real questions
        log.debug("warm-up question failed", exc_info=True)
    results = []
    for question in tqdm(questions, desc=desc, unit="q", disable=not progress):
        started = time.perf_counter()
        try:
            answer = assistant.ask(question, k=k, mode=mode)
            error = ""
        except Exception as exc:
            log.warning("question failed: %s (%s: %s)", question[:80], type(exc).__name__, exc)
            log.info("traceback of the failed question", exc_info=True)
            answer, error = None, f"{type(exc).__name__}: {str(exc)[:200]}"
        results.append(Asked(answer, (time.perf_counter() - started) * 1000, error))
    return results


def case_of(asked: Asked, *, answerable: bool, evidence: Sequence[str]) -> dict[str, Any]:
    """A metrics case (see ``evaluation.metrics``) for one asked question."""
    answer = asked.answer
    if answer is None:
        return {"answerable": answerable, "abstained": True, "evidence": list(evidence), "citations": [],
                "text": "", "sentences": []}
    return {
        "answerable": answerable,
        "abstained": bool(answer.abstained),
        "evidence": list(evidence),
        "citations": [{"number": c.number, "text": c.passage} for c in answer.citations],
        "text": answer.text or "",
        "sentences": [s.status for s in answer.sentences],
    }


def answer_modes(asked: Sequence[Asked]) -> dict[str, int]:
    """How many answers each mode produced (an LLM run that fell back shows "extractive")."""
    counts: dict[str, int] = {}
    for result in asked:
        if result.answer is not None:
            counts[result.answer.mode] = counts.get(result.answer.mode, 0) + 1
    return counts


def passages_of(asked: Asked) -> list:
    return list(asked.answer.passages) if asked.answer is not None else []


def git_commit() -> str:
    """``git rev-parse HEAD`` of the repository, or "unknown" outside a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else "unknown"


def machine() -> dict[str, Any]:
    """CPU, cores, memory, OS and Python of this machine, for the README's results table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        import psutil

        memory_gb = round(psutil.virtual_memory().total / 1024 ** 3, 1)
    except Exception:  # psutil is a dependency, but the report must not fail for this
        memory_gb = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": memory_gb, "os": platform.platform(),
            "python": sys.version.split()[0]}


def answerability_config(assistant) -> dict[str, Any]:
    """The answerability thresholds a run used, whether they are the ones calibrated for the
    index's corpus or the general ones (``retrieval.answerability.Calibration``), and whether the
    thesaurus was installed (without it the search has no synonyms and a lower coverage floor
    holds; README "Twenty-eighth session"), for the report's ``config``."""
    thresholds = getattr(assistant, "thresholds", None)
    calibrated = getattr(assistant, "calibrated_for_index", True)
    return {"synonyms": bool(getattr(assistant, "uses_synonyms", True)),
            "thresholds": thresholds.to_dict() if thresholds is not None else None,
            "thresholds_for": "corpus" if calibrated else "general"}


def run_config(settings: Settings, *, retriever: str, mode: str | None, k: int, **extra: Any) -> dict[str, Any]:
    """The ``config`` block of a report: retriever, mode, embedding model, k, commit, plus
    date, machine and whatever the caller adds (data set, corpus, limit)."""
    return {
        "retriever": retriever,
        "mode": mode or settings.answer_mode,
        "embedding": settings.embedding,
        "k": k,
        "commit": git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        **extra,
    }
