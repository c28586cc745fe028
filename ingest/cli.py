"""``python -m ingest``: build and inspect the index.

    python -m ingest [PATH ...] [--prune] [--reindex]   ingest (default: the configured corpus)
    python -m ingest --no-embed                           read and chunk only (BM25 ready; embed later)
    python -m ingest embed                                embed what the dense index still lacks
    python -m ingest fetch [--dest DIR] [--base-url URL]  download the catalogue's sources
    python -m ingest stats [--json]                       counts by kind and source, Stand of each law
    python -m ingest export FILE.tar.zst [--json]         write the finished index to one snapshot file
    python -m ingest import FILE.tar.zst [--json]         replace this machine's index by a snapshot
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fundstelle.logs import setup_logging
from fundstelle.settings import Settings

SUBCOMMANDS = ("fetch", "stats", "embed", "export", "import")
console = Console(stderr=False, soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)  # one line per message, never wrapped


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Ingest source documents into the Fundstelle index (Chroma + BM25). "
                    "Subcommands: 'fetch' (download the catalogue's sources), 'stats' (what the index holds), "
                    "'embed' (finish the dense index), 'export'/'import' (hand a finished index to other machines). "
                    "See `python -m ingest SUBCOMMAND --help`.",
        epilog="Settings come from FUNDSTELLE_* environment variables (FUNDSTELLE_CORPUS, FUNDSTELLE_DATA, "
               "FUNDSTELLE_EMBEDDING, FUNDSTELLE_CHROMA_HOST/_PORT). Exit code 1 when any document failed.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the configured corpus)")
    parser.add_argument("--prune", action="store_true", help="remove indexed documents that are no longer present")
    parser.add_argument("--reindex", action="store_true", help="drop the index and build it again (e.g. after "
                                                               "changing the embedding model)")
    parser.add_argument("--no-embed", action="store_true",
                        help="only read and chunk the documents and build the keyword (BM25) index: seconds "
                             "instead of minutes; the app (or `python -m ingest embed`) embeds the rest")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--verbose", action="store_true", help="also list the side files that were skipped")
    return parser


def _embed_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest embed",
        description="Embed every chunk the dense index lacks, most asked sources first (Landtag, current laws, "
                    "Weisungen, older Fassungen). Resumable: stop it at any time and run it again. With an embedded "
                    "Chroma folder, run it while the app is not running (the app embeds by itself).")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _fetch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest fetch",
                                     description="Download the catalogue's sources into the corpus folder and "
                                                 "verify their sha256. Files already present and verified are kept.")
    parser.add_argument("--dest", type=Path, help="target folder (default: FUNDSTELLE_CORPUS)")
    parser.add_argument("--base-url", help="download from a mirror with the corpus folder layout instead of the "
                                           "official sites")
    parser.add_argument("--only", action="append", default=[], metavar="SOURCE_ID", help="only these sources")
    parser.add_argument("--include-optional", action="store_true", help="also sources not in the offline mirror")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per download")
    return parser


def _stats_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest stats",
                                     description="What the index holds: chunks by kind and source, Stand of each law.")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    return parser


SNAPSHOT_WORKFLOW = (
    "Office workflow: one machine ingests the sources and embeds them (`python -m ingest`), then writes the "
    "finished index to one file with `python -m ingest export fundstelle.tar.zst`; staff machines (or the "
    "Chroma server they share) load that file with `python -m ingest import fundstelle.tar.zst`: no corpus "
    "and no embedding needed there, only the same embedding model setting (FUNDSTELLE_EMBEDDING).")


def _export_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest export",
        description="Write the finished index (chunk store, vectors, keyword index, manifest with sha256 of every "
                    "part) to one .tar.zst snapshot file. Refused while chunks still lack an embedding. "
                    + SNAPSHOT_WORKFLOW)
    parser.add_argument("target", type=Path, help="snapshot file to write, e.g. fundstelle-2026-05.tar.zst "
                                                  "(replaced only once the new one is complete)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def _import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest import",
        description="Replace this machine's index (FUNDSTELLE_DATA, or the Chroma server of FUNDSTELLE_CHROMA_HOST) "
                    "by a snapshot made with `python -m ingest export`. The whole file is checked first (complete, "
                    "sha256 of every part, same embedding model); a damaged or mismatching snapshot leaves the "
                    "current index untouched. With an embedded Chroma folder, stop the app while importing. "
                    + SNAPSHOT_WORKFLOW)
    parser.add_argument("source", type=Path, help="snapshot file (.tar.zst)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = Settings()
    setup_logging(settings.log_path, settings.log_level)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    try:
        if command == "fetch":
            return _fetch(_fetch_parser().parse_args(argv[1:]), settings)
        if command == "stats":
            return _stats(_stats_parser().parse_args(argv[1:]), settings)
        if command == "embed":
            return _embed(_embed_parser().parse_args(argv[1:]), settings)
        if command == "export":
            return _export(_export_parser().parse_args(argv[1:]), settings)
        if command == "import":
            return _import(_import_parser().parse_args(argv[1:]), settings)
        return _ingest(_run_parser().parse_args(argv), settings)
    except KeyboardInterrupt:
        errors.print("interrupted; the index stays consistent, rerun to finish")
        return 130
    except Exception as exc:  # one clear line; the traceback goes to the log
        import logging

        logging.getLogger("ingest").debug("fatal", exc_info=True)
        errors.print(f"error: {exc}", markup=False, highlight=False)
        return 2


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import run_ingest

    report = run_ingest(args.paths or None, settings, prune=args.prune, reindex=args.reindex,
                        progress=not args.quiet and not args.json, embed=not args.no_embed)
    embedded = report.embedded
    embedded_rate = embedded / report.embed_seconds if report.embed_seconds and embedded else 0.0
    if args.json:
        print(json.dumps({
            "documents": len(report.outcomes), "added": report.added,
            "embedded": report.embedded, "from_cache": report.cache_hits,
            "unchanged": report.unchanged,
            "removed": report.removed, "failed": [{"path": o.path, "reason": o.message} for o in report.failures],
            "pruned_documents": report.pruned_documents, "chunks_in_index": report.total_chunks,
            "seconds": round(report.seconds, 2), "chunks_per_second": round(embedded_rate, 2),
            "keyword_search_ready_seconds": round(report.lexical_seconds, 2),
            "pending_embeddings": report.pending, "skipped": report.skipped,
        }, ensure_ascii=False, indent=2))
    else:
        table = Table(title="Ingest summary", show_lines=False)
        for column in ("document", "status", "chunks", "added", "unchanged", "removed", "note"):
            table.add_column(column, overflow="fold")
        for o in report.outcomes:
            style = "red" if o.status in {"failed", "missing"} else None
            table.add_row(o.path, o.status, str(o.chunks), str(o.added), str(o.unchanged), str(o.removed),
                          o.message, style=style)
        console.print(table)
        console.print(
            f"{len(report.outcomes)} documents, {report.added} chunks added ({report.embedded} "
            f"embedded, {report.cache_hits} from the embedding cache), {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.failures)} failed; {report.total_chunks} chunks in the index; "
            f"{report.seconds:.1f} s ({embedded_rate:.1f} chunks/s embedding)", highlight=False)
        if args.no_embed:
            console.print(f"Keyword search ready after {report.lexical_seconds:.1f} s; {report.pending} chunks "
                          "still to embed (the app does it in the background, or run `python -m ingest embed`).",
                          highlight=False)
        elif report.added == 0 and not report.failures:
            console.print("Nothing to embed: the index is up to date.")
        if report.pruned_documents:
            console.print(f"Pruned: {', '.join(report.pruned_documents)}", highlight=False)
        if args.verbose:
            for line in report.skipped:
                console.print(f"skipped {line}", markup=False, highlight=False)
        elif report.skipped:
            console.print(f"{len(report.skipped)} side files skipped (other forms of catalogued sources, "
                          "not indexed twice; --verbose lists them)", highlight=False)
        for o in report.failures:
            errors.print(f"FAILED {o.path}: {o.message}", markup=False, highlight=False)
    return 1 if report.failures else 0


def _embed(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from tqdm import tqdm

    from index.writer import IndexWriter
    from ingest.background import EmbedderLock, hold_while_requested

    started = time.perf_counter()
    with EmbedderLock(settings):
        index = IndexWriter(settings)
        if not index.dense_progress()[1]:
            errors.print(f"error: the index in {settings.data} holds no chunks yet: run `python -m ingest` "
                         "(or `python -m ingest --no-embed`) first", markup=False, highlight=False)
            return 1
        bar = tqdm(total=0, unit="chunk", desc="Embedding", disable=args.quiet or args.json)

        def on_progress(done: int, total: int, doc_id: str) -> None:
            bar.total = total
            bar.n = done
            bar.set_postfix_str(doc_id[:40])
            bar.refresh()

        failures: dict[str, str] = {}

        def on_failure(doc_id: str, exc: BaseException) -> bool:
            import logging

            logging.getLogger("ingest").error("embedding %s failed", doc_id, exc_info=exc)
            failures[doc_id] = f"{type(exc).__name__}: {str(exc)[:160]}"
            return True

        result = index.embed_pending(on_progress=on_progress, on_failure=on_failure,
                                     before_batch=lambda done: hold_while_requested(settings, done))
        bar.close()
        embedded, total = index.dense_progress()
        with_sentences, _ = index.sentence_progress()
    seconds = time.perf_counter() - started
    summary = {"embedded": result.embedded, "removed": result.removed, "chunks_with_embedding": embedded,
               "chunks_with_sentence_vectors": with_sentences, "chunks": total,
               "contextual_units_embedded": result.contextual_units,
               "query_adapter_fitted_on": result.adapter_questions, "failed": failures,
               "seconds": round(seconds, 2)}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        console.print(f"{result.embedded} chunks embedded, {result.removed} removed; {embedded} of {total} chunks "
                      f"have an embedding, {with_sentences} their sentence vectors; {seconds:.1f} s", highlight=False)
        for doc_id, reason in failures.items():
            errors.print(f"FAILED {doc_id}: {reason}", markup=False, highlight=False)
    return 1 if failures else 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from ingest.snapshot import export_snapshot

    started = time.perf_counter()
    manifest = export_snapshot(settings, args.target, progress=not args.quiet and not args.json)
    target = args.target.expanduser().resolve()
    summary = {"snapshot": str(target), "bytes": target.stat().st_size, "chunks": manifest["chunks"],
               "documents": len(manifest["sources"]), "embedding_model": manifest["embedding_model"],
               "content_version": manifest["content_version"], "seconds": round(time.perf_counter() - started, 2)}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        console.print(f"Snapshot {target} written: {summary['chunks']} chunks from {summary['documents']} documents, "
                      f"{summary['bytes'] / 1e6:.1f} MB, model {summary['embedding_model']}; "
                      f"{summary['seconds']:.1f} s. Load it on other machines with "
                      f"`python -m ingest import {target.name}`.", markup=False, highlight=False)
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.snapshot import import_snapshot

    result = import_snapshot(settings, args.source, progress=not args.quiet and not args.json)
    imported = result["imported"]
    summary = {"snapshot": str(args.source), "created": result.get("created"), "collection": settings.collection,
               "embedding_model": result["embedding_model"], "content_version": result["content_version"],
               **imported}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        replaced = ("" if imported["replaced_chunks"] is None
                    else f" (replaced an index of {imported['replaced_chunks']} chunks)")
        console.print(f"Imported {imported['chunks']} chunks from {imported['documents']} documents into "
                      f"'{settings.collection}'{replaced}, snapshot of {result.get('created')}; "
                      f"{imported['seconds']:.1f} s. Nothing to embed.", markup=False, highlight=False)
        for note in imported["notes"]:
            console.print(f"Note: {note}", markup=False, highlight=False)
    return 0


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.catalogue import load_catalogue
    from ingest.fetch import fetch_catalogue

    catalogue = load_catalogue(settings.catalogue)
    dest = (args.dest or settings.corpus).resolve()
    results = fetch_catalogue(catalogue, dest, base_url=args.base_url, only=set(args.only) or None,
                              include_optional=args.include_optional, timeout=args.timeout,
                              on_result=lambda r: console.print(f"{r.status:10} {r.source_id} {r.message}",
                                                                markup=False, highlight=False))
    failed = [r for r in results if r.status == "failed"]
    console.print(f"{len(results)} sources: " + ", ".join(
        f"{n} {s}" for s in ("present", "downloaded", "changed", "skipped", "failed")
        if (n := sum(r.status == s for r in results))), highlight=False)
    return 1 if failed else 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from index.chunk_index import ChunkIndex

    index = ChunkIndex(settings)
    states: dict[str, dict] = {}
    for _, meta in index.iter_metadata():
        state = states.setdefault(meta["doc_id"], {"kind": meta.get("kind"), "title": meta.get("title"),
                                                   "stand": meta.get("stand"), "law": meta.get("law"),
                                                   "fassung": meta.get("fassung"), "chunks": 0})
        state["chunks"] += 1
    embedded: dict[str, int] = {}
    for _, _, meta in index.iter_records(include=("metadatas",)):
        embedded[meta.get("doc_id", "")] = embedded.get(meta.get("doc_id", ""), 0) + 1
    by_kind: dict[str, int] = {}
    for state in states.values():
        by_kind[state["kind"]] = by_kind.get(state["kind"], 0) + state["chunks"]
    data = {"collection": settings.collection, "embedding_model": index.model_name, "embedding_dim": index.model_dim,
            "chunks": sum(s["chunks"] for s in states.values()), "embedded": sum(embedded.values()),
            "documents": len(states), "by_kind": by_kind, "reference_graph": index.graph_size(),
            "query_adapter": index.query_adapter(),
            "sources": {doc_id: {"kind": s["kind"], "chunks": s["chunks"], "title": s["title"],
                                 "stand": s["stand"] if s["kind"] == "law" else None, "law": s["law"],
                                 "fassung": s["fassung"], "complete": embedded.get(doc_id, 0) == s["chunks"]}
                        for doc_id, s in sorted(states.items())}}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    table = Table(title=f"Index '{settings.collection}' ({data['chunks']} chunks, {index.model_name})")
    for column in ("source", "kind", "chunks", "Fassung / Stand"):
        table.add_column(column, overflow="fold")
    for doc_id, s in data["sources"].items():
        stand = f"{s['fassung']} – {s['stand']}" if s["kind"] == "law" else ""
        table.add_row(doc_id, s["kind"], str(s["chunks"]) + ("" if s["complete"] else " (not all embedded)"), stand)
    console.print(table)
    console.print("By kind: " + ", ".join(f"{k}: {n}" for k, n in sorted(by_kind.items())), highlight=False)
    console.print("Reference graph: " + (", ".join(f"{n} {k}" for k, n in sorted(data["reference_graph"].items()))
                                         or "no edges"), highlight=False)
    adapter = data["query_adapter"]
    console.print("Query adapter: " + (f"{adapter['kind']} fitted on {adapter['questions']} training questions" if adapter
                                       else "none (the search stays plain)"), highlight=False)
    if adapter and "question_bank" in adapter:
        bank = adapter["question_bank"]
        console.print("Training questions as neighbours: " + (
            f"{bank['questions']} questions, {bank['naming_a_norm']} naming one of {bank['norms']} norms" if bank
            else "none yet (the next ingest run stores them)"), highlight=False)
    return 0
