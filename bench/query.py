"""Query benchmark: latency of ``Assistant.ask`` (extractive) over the dev questions, cold
and warm, and peak RSS.

    python bench/query.py [--gold ../shared/eval/dev.jsonl] [--out bench-results/query.json]

Cold: the first question after building the Assistant (model, Chroma, BM25 loaded) and the
time to build it. Warm: every dev question asked again, p50/p95.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PeakRSS, commit, emit, machine  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> int:
    from fundstelle.settings import Settings

    default_gold = Settings().corpus.parent / "eval" / "dev.jsonl"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=default_gold)
    parser.add_argument("--out", type=Path, default=Path("bench-results/query.json"))
    parser.add_argument("--retriever", default="hybrid", choices=["hybrid", "dense", "bm25"])
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.gold.read_text(encoding="utf-8").splitlines() if line]

    from retrieval.assistant import Assistant

    with PeakRSS() as rss:
        t0 = time.perf_counter()
        assistant = Assistant(Settings(), retriever=args.retriever)
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        assistant.ask(questions[0])
        first = time.perf_counter() - t1
        cold = []
        for question in questions:  # first pass: sentence embeddings not cached yet
            t = time.perf_counter()
            assistant.ask(question)
            cold.append((time.perf_counter() - t) * 1000)
        warm = []
        for question in questions:
            t = time.perf_counter()
            assistant.ask(question)
            warm.append((time.perf_counter() - t) * 1000)
    data = {"machine": machine(), "commit": commit(), "questions": len(questions), "retriever": args.retriever,
            "assistant_build_s": round(build, 2), "first_answer_s": round(first, 2),
            "cold_p50_ms": round(percentile(cold, 0.5), 1), "cold_p95_ms": round(percentile(cold, 0.95), 1),
            "warm_p50_ms": round(percentile(warm, 0.5), 1), "warm_p95_ms": round(percentile(warm, 0.95), 1),
            "peak_rss_mb": rss.peak_mb}
    emit("Query benchmark (extractive)", [(k, v) for k, v in data.items() if k != "machine"], data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
