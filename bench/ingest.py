"""Ingest benchmark: extraction pages/s, embedding chunks/s and tokens/s, total time, peak RSS.

    python bench/ingest.py [--corpus DIR] [--out bench-results/ingest.json] [--keep-cache]

Builds the index of the whole corpus from scratch in a temporary data folder (embedding
cache off, so every chunk is really embedded), then runs it a second time to measure the
no-op re-ingest.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PeakRSS, commit, emit, machine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: FUNDSTELLE_CORPUS)")
    parser.add_argument("--out", type=Path, default=Path("bench-results/ingest.json"))
    parser.add_argument("--embedding", default=None, help="embedding model (default: settings)")
    args = parser.parse_args()

    from fundstelle.settings import Settings
    from ingest.index import embedding_text
    from ingest.pipeline import run_ingest

    with tempfile.TemporaryDirectory(prefix="fundstelle-bench-") as tmp:
        overrides = {"data": Path(tmp), "embedding_cache": False}
        if args.embedding:
            overrides["embedding"] = args.embedding
        settings = Settings(**overrides)
        corpus = args.corpus or settings.corpus
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            report = run_ingest([corpus] if args.corpus else None, settings, progress=True)
            total = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = run_ingest([corpus] if args.corpus else None, settings, progress=False)
        rerun = time.perf_counter() - t1
        from ingest.index import ChunkIndex

        index = ChunkIndex(settings)
        tokens = 0
        counter = getattr(index.embedder, "token_count", None) or getattr(getattr(index.embedder, "inner", None),
                                                                          "token_count", None)
        if counter:
            from ingest.chunk import Chunk

            for _, text, meta in index.iter_records():
                tokens += counter(embedding_text(Chunk.from_record(text, meta)))
        data = {
            "machine": machine(), "commit": commit(), "embedding_model": index.model_name,
            "documents": len(report.outcomes), "failed": len(report.failures), "pages": report.pages,
            "chunks": report.total_chunks, "chunks_embedded": report.added,
            "extract_seconds": round(report.parse_seconds, 2),
            "pages_per_second": round(report.pages / report.parse_seconds, 1) if report.parse_seconds else None,
            "embed_seconds": round(report.embed_seconds, 2),
            "chunks_per_second": round(report.added / report.embed_seconds, 2) if report.embed_seconds else None,
            "tokens_embedded": tokens,
            "tokens_per_second": round(tokens / report.embed_seconds, 1) if report.embed_seconds and tokens else None,
            "total_seconds": round(total, 1), "peak_rss_mb": rss.peak_mb,
            "reingest_seconds": round(rerun, 2), "reingest_chunks_embedded": again.added,
        }
    rows = [(k, v) for k, v in data.items() if k != "machine"]
    emit("Ingest benchmark", rows, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
