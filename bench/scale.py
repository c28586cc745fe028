"""Scale benchmark: a Chroma server collection and the BM25 index at 1e4, 1e5, 1e6 chunks.

    python bench/scale.py [--sizes 10000 100000 1000000] [--bm25-max 100000] [--out bench-results/scale.json]

Chunks are SYNTHETIC: German-legal-style texts from a seeded generator, with RANDOM UNIT
VECTORS of the model's dimension (384) as embeddings, so sizes that would take days to embed
on this machine can be measured. Reports insert rate, query p50/p95 (top 50), disk and server
RSS at each size, and the same for the BM25 side up to ``--bm25-max`` (its build is pure
Python tokenisation; the growth curve from the smaller sizes predicts the rest). Writes JSON
and a PNG plot of query latency against size.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import commit, emit, machine  # noqa: E402
from bench.query import percentile  # noqa: E402
from fundstelle.net import free_port, stop_process, wait_for_port  # noqa: E402

DIM = 384
SUBJECTS = ["Die Agentur für Arbeit", "Das Jobcenter", "Der Träger", "Die leistungsberechtigte Person",
            "Der Arbeitgeber", "Die Landesregierung", "Die Bundesagentur", "Der kommunale Träger"]
VERBS = ["erbringt", "prüft", "bewilligt", "fördert", "berücksichtigt", "erstattet", "übernimmt", "versagt"]
OBJECTS = ["Leistungen zur Eingliederung in Arbeit", "den Mehrbedarf für Alleinerziehende", "die Kosten der Unterkunft",
           "einen Eingliederungszuschuss", "das Vermittlungsbudget", "die Weiterbildungskosten",
           "den Regelbedarf", "eine Maßnahme bei einem Arbeitgeber", "das Einkommen aus Erwerbstätigkeit"]
CONDITIONS = ["soweit dies für die Eingliederung erforderlich ist", "wenn die Voraussetzungen vorliegen",
              "unter Beachtung der Grundsätze von Wirtschaftlichkeit und Sparsamkeit",
              "nach pflichtgemäßem Ermessen", "für die Dauer von höchstens zwölf Monaten"]
LAWS = ["SGB II", "SGB III", "SGB XII", "AufenthG"]


def synthetic_text(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(3, 6)):
        sentences.append(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}, "
                         f"{rng.choice(CONDITIONS)} (§ {rng.randint(1, 450)} Abs. {rng.randint(1, 8)} "
                         f"{rng.choice(LAWS)}).")
    return " ".join(sentences)


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--bm25-max", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("bench-results/scale.json"))
    parser.add_argument("--plot", type=Path, default=Path("bench-results/scale.png"))
    args = parser.parse_args()

    import chromadb

    from index.lexical import LexicalIndex

    text_rng, vector_rng = random.Random(7), np.random.default_rng(7)
    results = []
    with tempfile.TemporaryDirectory(prefix="fundstelle-scale-") as tmp:
        path, port = Path(tmp) / "chroma", free_port()
        chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
        server = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=(Path(tmp) / "chroma.log").open("w"), stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=60, process=server)
            client = chromadb.HttpClient(host="127.0.0.1", port=port)
            collection = client.create_collection("scale", configuration={"hnsw": {"space": "cosine"}},
                                                  embedding_function=None)
            texts: list[str] = []
            batch = min(5000, client.get_max_batch_size())
            for size in sorted(args.sizes):
                t0 = time.perf_counter()
                while len(texts) < size:
                    n = min(batch, size - len(texts))
                    new = [synthetic_text(text_rng) for _ in range(n)]
                    ids = [f"s{len(texts) + i}" for i in range(n)]
                    collection.add(ids=ids, embeddings=unit_vectors(vector_rng, n), documents=new,
                                   metadatas=[{"kind": "other", "doc_id": f"d{(len(texts) + i) // 20}"}
                                              for i in range(n)])
                    texts.extend(new)
                insert_seconds = time.perf_counter() - t0
                added = size - (results[-1]["chunks"] if results else 0)
                query_ms = []
                for vector in unit_vectors(vector_rng, args.queries):
                    t = time.perf_counter()
                    collection.query(query_embeddings=[vector], n_results=50, include=["distances"])
                    query_ms.append((time.perf_counter() - t) * 1000)
                row = {"chunks": size, "insert_per_s": round(added / insert_seconds, 1),
                       "dense_p50_ms": round(percentile(query_ms, 0.5), 1),
                       "dense_p95_ms": round(percentile(query_ms, 0.95), 1),
                       "disk_mb": folder_mb(path), "server_rss_mb": round(psutil.Process(server.pid).memory_info().rss
                                                                          / 2**20, 1)}
                if size <= args.bm25_max:
                    before = psutil.Process().memory_info().rss
                    t = time.perf_counter()
                    lexical = LexicalIndex.build([f"s{i}" for i in range(size)], texts[:size])
                    row["bm25_build_s"] = round(time.perf_counter() - t, 1)
                    row["bm25_rss_mb"] = round((psutil.Process().memory_info().rss - before) / 2**20, 1)
                    bm25_ms = []
                    for _ in range(args.queries):
                        question = f"{text_rng.choice(OBJECTS)} {text_rng.choice(CONDITIONS)}"
                        t = time.perf_counter()
                        lexical.search(question, k=50)
                        bm25_ms.append((time.perf_counter() - t) * 1000)
                    row["bm25_p50_ms"] = round(percentile(bm25_ms, 0.5), 1)
                    row["bm25_p95_ms"] = round(percentile(bm25_ms, 0.95), 1)
                    del lexical
                results.append(row)
                print(row, flush=True)
                # Written after every size, so a run stopped at a larger size keeps the smaller ones.
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps({"partial": True, "results": results}, indent=2), encoding="utf-8")
                _plot(results, args.plot)
        finally:
            stop_process(server, timeout=60)
    _plot(results, args.plot)
    data = {"machine": machine(), "commit": commit(), "embeddings": "random unit vectors (synthetic)",
            "texts": "synthetic German legal-style text", "results": results}
    rows = []
    for r in results:
        bm25 = (f"; BM25 build {r['bm25_build_s']} s, p50 {r['bm25_p50_ms']} ms, p95 {r['bm25_p95_ms']} ms"
                if "bm25_build_s" in r else "; BM25 not measured")
        rows.append((f"{r['chunks']:,} chunks", f"insert {r['insert_per_s']}/s, dense p50 {r['dense_p50_ms']} ms, "
                     f"p95 {r['dense_p95_ms']} ms, disk {r['disk_mb']} MB, server RSS {r['server_rss_mb']} MB{bm25}"))
    emit("Scale benchmark (synthetic chunks, random embeddings)", rows, data, args.out)
    print(f"Plot written to {args.plot}")
    return 0


def _plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    sizes = [r["chunks"] for r in results]
    ax.plot(sizes, [r["dense_p50_ms"] for r in results], "o-", label="Chroma server p50")
    ax.plot(sizes, [r["dense_p95_ms"] for r in results], "o--", label="Chroma server p95")
    bm25 = [r for r in results if "bm25_p50_ms" in r]
    if bm25:
        ax.plot([r["chunks"] for r in bm25], [r["bm25_p50_ms"] for r in bm25], "s-", label="BM25 p50")
        ax.plot([r["chunks"] for r in bm25], [r["bm25_p95_ms"] for r in bm25], "s--", label="BM25 p95")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks (synthetic, random embeddings)")
    ax.set_ylabel("query latency (ms, top 50)")
    ax.set_title("Fundstelle scale benchmark")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
