"""Scale benchmark: a Chroma server collection and the BM25 index at 1e4, 1e5, 1e6 chunks.

    python bench/scale.py [--sizes 10000 100000 1000000] [--bm25-max 1000000]
                          [--work bench-results/scale-work] [--fresh] [--out bench-results/scale.json]

Chunks are SYNTHETIC: German-legal-style texts from a seeded generator, with RANDOM UNIT
VECTORS of the model's dimension (384) as embeddings, so sizes that would take days to embed
on this machine can be measured. Reports insert rate, query p50/p95 (top 50), disk and server
RSS at each size, and the same for the BM25 side up to ``--bm25-max``. Writes JSON and a PNG
plot of query latency against size.

RESUMABLE: the Chroma server keeps its data in ``--work`` (default bench-results/scale-work);
on start the benchmark counts what the collection already holds and adds only the rest. Chunk
``i`` is the same on every run (texts and vectors are drawn from generators seeded by the start
index of its block of ``BLOCK`` chunks), so a fill resumed any number of times equals an
uninterrupted one. Each size is measured when the collection reaches it; measured rows (and the
cumulative insert time) are kept in ``<work>.json`` beside the work folder, so a stopped run
loses at most the batch in flight. Stop it with Ctrl-C or SIGTERM: the server is shut down
cleanly. ``--fresh`` deletes the work folder and its results first.

BM25 is measured in a separate process at each size (so its RSS is the index's own and a
change to index/lexical.py made during a long fill is what gets measured); ``--bm25-at SIZE``
runs that measurement alone, without the server, and ``--remeasure-bm25`` repeats it for
every size already measured.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import commit, emit, machine  # noqa: E402
from bench.query import percentile  # noqa: E402
from fundstelle.net import free_port, stop_process, wait_for_port  # noqa: E402

DIM = 384
# Chunks are generated in blocks of this many, each from generators seeded by the block's start
# index: any chunk range can be regenerated exactly, whatever the batch size of the run.
BLOCK = 1000
BATCH = 5000
COLLECTION = "scale"
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


def _blocks(start: int, end: int):
    """(block start, slice within the block) for every block overlapping [start, end)."""
    for block in range(start // BLOCK * BLOCK, end, BLOCK):
        yield block, slice(max(start, block) - block, min(end, block + BLOCK) - block)


def synthetic_texts(start: int, end: int) -> list[str]:
    """Texts of chunks ``start`` .. ``end - 1``; the same on every call."""
    texts: list[str] = []
    for block, part in _blocks(start, end):
        rng = random.Random(block)
        texts.extend([synthetic_text(rng) for _ in range(part.stop)][part])
    return texts


def synthetic_vectors(start: int, end: int) -> np.ndarray:
    """Unit vectors of chunks ``start`` .. ``end - 1``; the same on every call."""
    parts = [unit_vectors(np.random.default_rng(block), BLOCK)[part] for block, part in _blocks(start, end)]
    return np.concatenate(parts) if parts else np.zeros((0, DIM), dtype=np.float32)


def chunk_ids(start: int, end: int) -> list[str]:
    return [f"s{i}" for i in range(start, end)]


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def state_path(work: Path) -> Path:
    return work.with_name(work.name + ".json")


def load_state(work: Path, held: int) -> dict:
    """Measured rows and cumulative insert time of earlier runs, minus rows the collection no
    longer backs (it was reset or holds fewer chunks than the row was measured at)."""
    path = state_path(work)
    state = {"results": [], "insert_seconds": 0.0, "timed_chunks": 0}
    if held and path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved.setdefault("timed_chunks", saved.get("chunks", held))  # results of an older version
        state.update(saved)
        state["results"] = [r for r in state["results"] if r["chunks"] <= held]
    return state


def save_state(work: Path, state: dict) -> None:
    path = state_path(work)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(path)


def _terminate_as_exit(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--bm25-max", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--work", type=Path, default=Path("bench-results/scale-work"),
                        help="persistent folder of the Chroma server's data (a run resumes from it)")
    parser.add_argument("--fresh", action="store_true", help="delete the work folder and its results first")
    parser.add_argument("--out", type=Path, default=Path("bench-results/scale.json"))
    parser.add_argument("--plot", type=Path, default=Path("bench-results/scale.png"))
    parser.add_argument("--remeasure-bm25", action="store_true",
                        help="measure BM25 again at every size already measured (after a change to index/lexical.py)")
    parser.add_argument("--bm25-at", type=int, metavar="SIZE",
                        help="measure only the BM25 side at SIZE chunks (no Chroma server) and print it as JSON")
    args = parser.parse_args()

    if args.bm25_at:
        print(json.dumps(measure_bm25(args.bm25_at, args.queries)))
        return 0
    import chromadb

    signal.signal(signal.SIGTERM, _terminate_as_exit)
    if args.fresh:
        shutil.rmtree(args.work, ignore_errors=True)
        state_path(args.work).unlink(missing_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    path, port = args.work / "chroma", free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    server = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=(args.work / "chroma.log").open("a"), stderr=subprocess.STDOUT)
    stopped = False
    try:
        wait_for_port(port, timeout=120, process=server)
        client = chromadb.HttpClient(host="127.0.0.1", port=port)
        collection = client.get_or_create_collection(COLLECTION, configuration={"hnsw": {"space": "cosine"}},
                                                     embedding_function=None)
        held = collection.count()
        state = load_state(args.work, held)
        results: list[dict] = state["results"]
        print(f"collection holds {held:,} chunks; measured before: {[r['chunks'] for r in results]}", flush=True)
        if args.remeasure_bm25:
            for row in results:
                if row["chunks"] <= args.bm25_max:
                    row.update(measure_bm25_apart(row["chunks"], args.queries))
                    save_state(args.work, state)
                    print(row, flush=True)
        batch = min(BATCH, client.get_max_batch_size())
        for size in sorted(args.sizes):
            if any(r["chunks"] == size for r in results):
                continue
            if held > size:
                print(f"{size:,}: not measured (the collection already holds {held:,}; use --fresh)", flush=True)
                continue
            while held < size:
                end = min(held + batch, size)
                t = time.perf_counter()
                # upsert, not add: a batch a stopped run sent but did not record is sent again harmlessly.
                collection.upsert(ids=chunk_ids(held, end), embeddings=synthetic_vectors(held, end),
                                  documents=synthetic_texts(held, end),
                                  metadatas=[{"kind": "other", "doc_id": f"d{i // 20}"} for i in range(held, end)])
                state["insert_seconds"] += time.perf_counter() - t
                # Only batches whose time was recorded count for the insert rate: a batch in flight
                # when a run is stopped may still land in the collection, but without its time.
                state["timed_chunks"] += end - held
                held = state["chunks"] = end
                save_state(args.work, state)
                if held % 50_000 == 0:
                    print(f"  filled {held:,} chunks", flush=True)
            row = measure(collection, server, path, size, args, state, results)
            results.append(row)
            results.sort(key=lambda r: r["chunks"])
            save_state(args.work, state)
            print(row, flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps({"partial": True, "results": results}, indent=2), encoding="utf-8")
            _plot(results, args.plot)
    except KeyboardInterrupt:
        print(f"stopped; the collection keeps what it holds in {args.work}, measured rows in "
              f"{state_path(args.work)}; run again to resume", flush=True)
        stopped = True
    finally:
        stop_process(server, timeout=120)
    if stopped:
        return 130
    _plot(results, args.plot)
    data = {"machine": machine(), "commit": commit(), "embeddings": "random unit vectors (synthetic)",
            "texts": "synthetic German legal-style text", "results": results}
    rows = []
    for r in results:
        bm25 = (f"; BM25 build {r['bm25_build_s']} s, p50 {r['bm25_p50_ms']} ms, p95 {r['bm25_p95_ms']} ms, "
                f"RSS {r['bm25_rss_mb']} MB" if "bm25_build_s" in r else "; BM25 not measured")
        rows.append((f"{r['chunks']:,} chunks", f"insert {r['insert_per_s']}/s, dense p50 {r['dense_p50_ms']} ms, "
                     f"p95 {r['dense_p95_ms']} ms, disk {r['disk_mb']} MB, server RSS {r['server_rss_mb']} MB{bm25}"))
    emit("Scale benchmark (synthetic chunks, random embeddings)", rows, data, args.out)
    print(f"Plot written to {args.plot}")
    return 0


def measure(collection, server, path: Path, size: int, args, state: dict, results: list[dict]) -> dict:
    """The row of ``size``: measured now, when the collection has just reached it."""
    previous = max((r for r in results if r["chunks"] < size), key=lambda r: r["chunks"], default=None)
    added = state["timed_chunks"] - (previous.get("timed_chunks", previous["chunks"]) if previous else 0)
    seconds = state["insert_seconds"] - (previous["insert_seconds"] if previous else 0.0)
    query_ms = []
    for vector in unit_vectors(np.random.default_rng([size, 1]), args.queries):
        t = time.perf_counter()
        collection.query(query_embeddings=[vector], n_results=50, include=["distances"])
        query_ms.append((time.perf_counter() - t) * 1000)
    row = {"chunks": size, "insert_per_s": round(added / seconds, 1) if seconds else None,
           "insert_seconds": round(state["insert_seconds"], 1), "timed_chunks": state["timed_chunks"],
           "dense_p50_ms": round(percentile(query_ms, 0.5), 1),
           "dense_p95_ms": round(percentile(query_ms, 0.95), 1),
           "disk_mb": folder_mb(path),
           "server_rss_mb": round(psutil.Process(server.pid).memory_info().rss / 2**20, 1),
           "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if size <= args.bm25_max:
        row.update(measure_bm25_apart(size, args.queries))
    return row


def measure_bm25_apart(size: int, queries: int) -> dict:
    """``measure_bm25`` in a fresh process: its memory is the index's alone, and it runs the
    current index/lexical.py even when that changed while a long fill was running."""
    done = subprocess.run([sys.executable, __file__, "--bm25-at", str(size), "--queries", str(queries)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_bm25(size: int, queries: int) -> dict:
    """Build time, added RSS and query p50/p95 (top 50) of the project's BM25 over the first
    ``size`` synthetic chunks."""
    from index.lexical import LexicalIndex

    texts = synthetic_texts(0, size)
    before = psutil.Process().memory_info().rss
    t = time.perf_counter()
    lexical = LexicalIndex.build(chunk_ids(0, size), texts)
    row = {"bm25_build_s": round(time.perf_counter() - t, 1),
           "bm25_rss_mb": round((psutil.Process().memory_info().rss - before) / 2**20, 1)}
    question_rng = random.Random(size)
    bm25_ms = []
    for _ in range(queries):
        question = f"{question_rng.choice(OBJECTS)} {question_rng.choice(CONDITIONS)}"
        t = time.perf_counter()
        lexical.search(question, k=50)
        bm25_ms.append((time.perf_counter() - t) * 1000)
    row["bm25_p50_ms"] = round(percentile(bm25_ms, 0.5), 1)
    row["bm25_p95_ms"] = round(percentile(bm25_ms, 0.95), 1)
    return row


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
