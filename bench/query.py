"""Query benchmark: latency of ``Assistant.ask`` (extractive) over the dev questions, cold
and warm, and peak RSS.

    python bench/query.py [--gold ../shared/eval/dev.jsonl] [--out bench-results/query.json]

Cold start: building the Assistant (model, Chroma, BM25) and its first answer. Uncached: every
dev question with no embedding cache (sentence embeddings computed each time). Cached: the
default, every question asked a second time.
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

    settings = Settings()
    default_gold = settings.corpus.parent / "eval" / "dev.jsonl"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=default_gold)
    parser.add_argument("--out", type=Path, default=Path("bench-results/query.json"))
    parser.add_argument("--retriever", default="hybrid", choices=["hybrid", "dense", "bm25"])
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.gold.read_text(encoding="utf-8").splitlines() if line]

    from fundstelle.embeddings import limit_query_threads
    from retrieval.assistant import Assistant

    limit_query_threads(settings.query_threads)   # as the app and the CLI do

    def timed(assistant: Assistant) -> list[float]:
        out = []
        for question in questions:
            t = time.perf_counter()
            assistant.ask(question)
            out.append((time.perf_counter() - t) * 1000)
        return out

    with PeakRSS() as rss:
        # Uncached: sentence embeddings computed for every question (as for questions never
        # asked before); the Assistant build and the first answer are the cold start.
        t0 = time.perf_counter()
        uncached_assistant = Assistant(settings.model_copy(update={"embedding_cache": False}), retriever=args.retriever)
        build = time.perf_counter() - t0
        t1 = time.perf_counter()
        uncached_assistant.ask(questions[0])
        first = time.perf_counter() - t1
        uncached = timed(uncached_assistant)
        # What one answering process (the app, the CLI) holds: one Assistant. The second one
        # below is this benchmark's own (the cached pass) and adds its own copies.
        rss_one_assistant = rss.peak_mb
        # Cached (the default): a first pass fills the text-hash cache, the second is measured.
        cached_assistant = Assistant(settings, retriever=args.retriever)
        timed(cached_assistant)
        cached = timed(cached_assistant)
    data = {"machine": machine(), "commit": commit(), "questions": len(questions), "retriever": args.retriever,
            "assistant_build_s": round(build, 2), "first_answer_s": round(first, 2),
            "uncached_p50_ms": round(percentile(uncached, 0.5), 1),
            "uncached_p95_ms": round(percentile(uncached, 0.95), 1),
            "cached_p50_ms": round(percentile(cached, 0.5), 1), "cached_p95_ms": round(percentile(cached, 0.95), 1),
            "peak_rss_one_assistant_mb": rss_one_assistant, "peak_rss_mb": rss.peak_mb}
    emit("Query benchmark (extractive)", [(k, v) for k, v in data.items() if k != "machine"], data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
