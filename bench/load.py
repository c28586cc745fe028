"""Load benchmark: a Chroma server and N concurrent clients asking the dev questions.

    python bench/load.py [--clients 1 4 16] [--per-client 10] [--out bench-results/load.json]

Starts ``chroma run`` on 127.0.0.1 (free port, temporary folder), ingests the corpus into it
(embeddings come from the text-hash cache in FUNDSTELLE_DATA when present), then for each N
runs N client threads, each with its own ``Assistant`` (own HTTP connection, BM25 copy),
asking ``--per-client`` dev questions in turn. The answerer's embedding cache is off, so
every question is computed. Reports throughput, p50/p95/p99 latency and errors per N.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import commit, emit, machine  # noqa: E402
from bench.query import percentile  # noqa: E402
from fundstelle.net import free_port, stop_process, wait_for_port  # noqa: E402


def run_clients(settings, questions: list[str], clients: int, per_client: int) -> dict:
    from fundstelle.embeddings import limit_query_threads
    from retrieval.assistant import Assistant

    limit_query_threads(settings.query_threads)   # as the app and the CLI do
    assistants = [Assistant(settings) for _ in range(clients)]
    latencies: list[float] = []
    phases: dict[str, list[float]] = {}   # Answer.timings per step: where the time goes
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(number: int) -> None:
        barrier.wait()
        for i in range(per_client):
            question = questions[(number * per_client + i) % len(questions)]
            t = time.perf_counter()
            try:
                answer = assistants[number].ask(question)
            except Exception as exc:  # counted and reported, the run goes on
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:100]}")
                continue
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                for step, ms in answer.timings.items():
                    phases.setdefault(step, []).append(ms)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {"clients": clients, "questions": clients * per_client, "seconds": round(wall, 1),
            "throughput_qps": round(len(latencies) / wall, 2), "p50_ms": round(percentile(latencies, 0.5), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "errors": len(errors), "error_examples": errors[:3],
            "step_p50_ms": {step: round(percentile(v, 0.5), 1) for step, v in phases.items()}}


def main() -> int:
    from fundstelle.settings import Settings

    base = Settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--gold", type=Path, default=base.corpus.parent / "eval" / "dev.jsonl")
    parser.add_argument("--out", type=Path, default=Path("bench-results/load.json"))
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.gold.read_text(encoding="utf-8").splitlines() if line]

    from ingest.pipeline import run_ingest

    with tempfile.TemporaryDirectory(prefix="fundstelle-load-") as tmp:
        tmp_path = Path(tmp)
        port = free_port()
        chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
        server = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=(tmp_path / "chroma.log").open("w"),
                                  stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=60, process=server)
            data_dir = tmp_path / "data"
            data_dir.mkdir()
            cache = base.data / "embedding-cache.sqlite"
            if cache.exists():
                (data_dir / cache.name).symlink_to(cache)
            settings = base.model_copy(update={"data": data_dir, "chroma_host": "127.0.0.1", "chroma_port": port})
            t0 = time.perf_counter()
            report = run_ingest(None, settings, progress=True)
            ingest_seconds = time.perf_counter() - t0
            client_settings = settings.model_copy(update={"embedding_cache": False})
            runs = [run_clients(client_settings, questions, n, args.per_client) for n in args.clients]
        finally:
            stop_process(server, timeout=30)
    data = {"machine": machine(), "commit": commit(), "chunks": report.total_chunks,
            "ingest_into_server_s": round(ingest_seconds, 1), "runs": runs}
    rows = [("chunks in the server collection", report.total_chunks),
            ("ingest into the server (cached embeddings)", f"{ingest_seconds:.0f} s")]
    for run in runs:
        rows.append((f"N={run['clients']}: throughput / p50 / p95 / p99 / errors",
                     f"{run['throughput_qps']} q/s / {run['p50_ms']:.0f} / {run['p95_ms']:.0f} / "
                     f"{run['p99_ms']:.0f} ms / {run['errors']}"))
        rows.append((f"N={run['clients']}: p50 per step (ms)",
                     ", ".join(f"{step} {ms:.0f}" for step, ms in run["step_p50_ms"].items())))
    emit("Load benchmark (Chroma server, extractive answers)", rows, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
