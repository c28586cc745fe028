"""One ingest run: find the files, parse them, sync their chunks, rebuild the lexical index.

Public API: ``discover_sources`` and ``run_ingest``. Each document is handled on its own:
a broken file is reported in one line and the rest of the batch still lands.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from fundstelle.settings import Settings
from ingest.catalogue import Catalogue, load_catalogue
from ingest.errors import IngestError
from index.chunk import LoadedDocument
from index.writer import IndexWriter
from ingest.loaders import load_document
from ingest.loaders.base import SourceInfo, file_sha256

log = logging.getLogger(__name__)


@dataclass
class DocumentOutcome:
    path: str
    doc_id: str
    status: str              # added | updated | unchanged | failed | missing
    chunks: int = 0
    added: int = 0
    unchanged: int = 0
    removed: int = 0
    pages: int = 0
    message: str = ""
    parse_seconds: float = 0.0


@dataclass
class IngestReport:
    outcomes: list[DocumentOutcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pruned_documents: list[str] = field(default_factory=list)
    pruned_chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    parse_seconds: float = 0.0
    total_chunks: int = 0
    cache_hits: int = 0       # embeddings taken from the text-hash cache
    embedded: int = 0         # embeddings computed by the model in this run
    lexical_seconds: float = 0.0   # until the chunk store and BM25 were ready (keyword answers possible)
    pending: int = 0          # chunks still without an embedding after this run
    removed_embeddings: int = 0

    @property
    def failures(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status in {"failed", "missing"}]

    @property
    def added(self) -> int:
        return sum(o.added for o in self.outcomes)

    @property
    def unchanged(self) -> int:
        return sum(o.unchanged for o in self.outcomes)

    @property
    def removed(self) -> int:
        return sum(o.removed for o in self.outcomes) + self.pruned_chunks

    @property
    def pages(self) -> int:
        return sum(o.pages for o in self.outcomes)


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def discover_sources(paths: Sequence[Path] | None, settings: Settings, catalogue: Catalogue
                     ) -> tuple[list[SourceInfo], list[str], list[DocumentOutcome]]:
    """Sources to ingest, skipped side files (with reasons), and missing catalogue files."""
    default_run = not paths
    roots = [settings.corpus] if default_run else [Path(p).expanduser().resolve() for p in paths]
    sources: list[SourceInfo] = []
    skipped: list[str] = []
    missing: list[DocumentOutcome] = []
    seen: set[str] = set()
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files.extend(sorted(p for p in root.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(root).parts)))
        else:
            files.append(root)  # a missing file is reported by the loader as "file not found"
    for path in files:
        rel = _relative(path, settings.corpus)
        if rel is not None:
            if catalogue.is_ignored(rel):
                continue
            entry = catalogue.by_path(rel)
            if entry is not None:
                info = entry.source_info(settings.corpus)
            elif (canonical := catalogue.alternate_of(rel)) is not None:
                skipped.append(f"{rel}: other form of '{canonical.id}' ({canonical.path}), not indexed twice")
                continue
            else:
                info = SourceInfo(doc_id=f"local:{rel}", path=path)
        else:
            info = SourceInfo(doc_id=f"local:{path.name}" if not path.is_absolute() else f"file:{path.as_posix()}",
                              path=path)
        if info.doc_id in seen:
            continue
        seen.add(info.doc_id)
        sources.append(info)
    sources.sort(key=lambda info: _embedding_priority(info, catalogue))
    if default_run:
        for entry in catalogue.sources:
            if entry.id not in seen and not entry.optional and not (settings.corpus / entry.path).exists():
                missing.append(DocumentOutcome(path=str(settings.corpus / entry.path), doc_id=entry.id,
                                               status="missing",
                                               message="not in the corpus folder; run `python -m ingest fetch`"))
    return sources, skipped, missing


def corpus_sources(settings: Settings) -> list[SourceInfo]:
    """The sources a default run (``run_ingest(None, settings)``) reads, in reading order."""
    return discover_sources(None, settings, load_catalogue(settings.catalogue))[0]


def _embedding_priority(info: SourceInfo, catalogue: Catalogue) -> int:
    """Most asked first, so a partly built index already answers the common questions:
    Landtag documents, then the current Fassung of each law, then BA documents and anything
    else, older Fassungen last."""
    if info.kind == "landtag":
        return 0
    if info.kind == "law":
        newer = [s for s in catalogue.sources if s.slug and s.slug == info.slug and (s.fassung or "") > (info.fassung or "")]
        return 4 if newer else 1
    return 2 if info.kind == "ba" else 3


def run_ingest(paths: Sequence[Path] | None, settings: Settings, *, prune: bool = False,
               reindex: bool = False, index: IndexWriter | None = None, progress: bool = True,
               on_document: Callable[[DocumentOutcome], None] | None = None, embed: bool = True,
               sources: Sequence[SourceInfo] | None = None) -> IngestReport:
    """Ingest ``paths`` (default: the configured corpus) into the index; or exactly ``sources``
    (document ids, kinds and loaders given by the caller) instead of discovered files.

    Two phases: (1) parse and chunk every changed document into the chunk store and rebuild
    the BM25 index: seconds, after which questions can be answered by keyword search;
    (2) with ``embed`` (the default), embed every chunk the dense index lacks, most asked
    sources first (``IndexWriter.embed_pending``; the app runs the same step in the background).
    """
    from tqdm import tqdm

    started = time.perf_counter()
    catalogue = load_catalogue(settings.catalogue)
    if index is None:
        index = IndexWriter(settings, check_model=not reindex)
    if reindex:
        index.drop()
        index = IndexWriter(settings, embedder=index.embedder)
    if sources is None:
        sources, skipped, missing = discover_sources(paths, settings, catalogue)
    else:
        sources, skipped, missing = list(sources), [], []
    report = IngestReport(skipped=skipped, outcomes=list(missing))
    states = index.document_states()
    docs_bar = tqdm(total=len(sources), unit="doc", desc="Reading", disable=not progress)
    for source, outcome in _read_all(sources, settings, index, states, report, catalogue):
        docs_bar.set_postfix_str(source.path.name[:40])
        docs_bar.update(1)
        report.outcomes.append(outcome)
        if on_document and not embed:
            on_document(outcome)
    docs_bar.close()
    if prune:
        present = {s.doc_id for s in sources}
        for doc_id in sorted(set(states) - present):
            report.pruned_chunks += index.remove_document(doc_id)
            report.pruned_documents.append(doc_id)
    try:
        lexical = index.rebuild_lexical()
    except OSError as exc:
        if not _disk_full(exc, settings):
            raise
        log.exception("keyword index not saved")
        report.outcomes.append(DocumentOutcome(
            path=str(settings.lexical_path), doc_id="", status="failed",
            message=_disk_full_message(settings, "the keyword index was not updated; free space and rerun")))
        report.seconds = time.perf_counter() - started
        return report
    report.total_chunks = len(lexical)
    report.lexical_seconds = time.perf_counter() - started
    if embed:
        embed_into(index, report, settings, progress=progress)
        if on_document:
            for outcome in report.outcomes:
                on_document(outcome)
    else:
        embedded, total = index.dense_progress()
        report.pending = max(0, total - embedded)
    report.seconds = time.perf_counter() - started
    return report


def embed_into(index: IndexWriter, report: IngestReport, settings: Settings, *, progress: bool = True) -> None:
    """Phase 2 of ``run_ingest``: embed what the collection lacks; failures go to the report."""
    from tqdm import tqdm

    hits_before = getattr(index.embedder, "hits", 0)
    misses_before = getattr(index.embedder, "misses", 0)
    outcomes = {o.doc_id: o for o in report.outcomes}
    by_doc: dict[str, int] = {}
    bar = tqdm(total=0, unit="chunk", desc="Embedding", disable=not progress)
    last = {"done": 0}

    def on_progress(done: int, total: int, doc_id: str) -> None:
        bar.total = total
        bar.update(done - last["done"])
        by_doc[doc_id] = by_doc.get(doc_id, 0) + done - last["done"]
        last["done"] = done

    def on_failure(doc_id: str, exc: BaseException) -> bool:
        log.error("embedding %s failed", doc_id, exc_info=exc)
        outcome = outcomes.get(doc_id)
        if outcome is None:
            outcome = DocumentOutcome(path=doc_id, doc_id=doc_id, status="failed")
            report.outcomes.append(outcome)
            outcomes[doc_id] = outcome
        outcome.status = "failed"
        if _disk_full(exc, settings):
            outcome.message = _disk_full_message(
                settings, "free space and rerun; the document is searched by keywords until it is embedded")
            return False
        outcome.message = f"embedding failed ({type(exc).__name__}: {str(exc)[:120]}); details in the log"
        return True

    t0 = time.perf_counter()
    try:
        result = index.embed_pending(on_progress=on_progress, on_failure=on_failure)
    except Exception as exc:  # a full disk stops the run: every later batch would fail the same way
        if not any(o.status == "failed" for o in report.outcomes):
            raise
        log.warning("embedding stopped: %s", exc)
        result = None
    bar.close()
    report.embed_seconds = time.perf_counter() - t0
    for doc_id, outcome in outcomes.items():
        if outcome.status in {"failed", "missing"}:
            continue
        outcome.added = by_doc.get(doc_id, 0)
        outcome.unchanged = max(0, outcome.chunks - outcome.added)
        if outcome.status == "unchanged" and outcome.added:
            outcome.status = "updated"
    report.cache_hits = getattr(index.embedder, "hits", 0) - hits_before
    report.embedded = (getattr(index.embedder, "misses", 0) - misses_before if hasattr(index.embedder, "misses")
                       else sum(by_doc.values()))
    report.removed_embeddings = result.removed if result else 0
    embedded, total = index.dense_progress()
    report.pending = max(0, total - embedded)


def _read_all(sources: Sequence[SourceInfo], settings: Settings, index: IndexWriter, states: dict,
              report: IngestReport, catalogue: Catalogue) -> Iterator[tuple[SourceInfo, DocumentOutcome]]:
    """Phase 1: every source parsed and chunked into the store unless it is unchanged, in
    ``sources`` order. Parsing runs in worker processes when there is enough of it
    (``_parse_workers``); storing stays here, one document at a time."""
    outcomes: list[DocumentOutcome] = []
    changed: list[int] = []
    for number, source in enumerate(sources):
        outcome = _unchanged(source, settings, index, states, _embedding_priority(source, catalogue))
        outcomes.append(outcome)
        if outcome.status != "unchanged" and not outcome.message:
            changed.append(number)
    parsed = _parse_in_order([sources[n] for n in changed], settings)
    to_store = set(changed)
    for number, source in enumerate(sources):
        outcome = outcomes[number]
        if number in to_store:
            parse = next(parsed)
            _store(source, parse, settings, index, states, report, outcome,
                   _embedding_priority(source, catalogue))
        yield source, outcome


def _unchanged(source: SourceInfo, settings: Settings, index: IndexWriter, states: dict,
               priority: int) -> DocumentOutcome:
    """The outcome of a source that needs no parsing (unchanged, or missing: with a message);
    otherwise a "failed" outcome without message, to be filled by ``_store``."""
    rel = _relative(source.path, settings.corpus) or str(source.path)
    outcome = DocumentOutcome(path=rel, doc_id=source.doc_id, status="failed")
    if not source.path.exists():
        outcome.message = IngestError(source.path, "file not found").reason
        log.warning("%s: file not found", source.path)
        return outcome
    try:
        sha = file_sha256(source.path) if source.path.is_file() else ""
    except OSError as exc:
        outcome.message = f"unreadable ({type(exc).__name__}: {str(exc)[:120]})"
        log.warning("%s: %s", source.path, outcome.message)
        return outcome
    if sha and index.is_current(source.doc_id, sha, states):
        state = states[source.doc_id]
        outcome.status, outcome.chunks, outcome.unchanged = "unchanged", state["chunks"], state["chunks"]
        if state["priority"] != priority:
            index.set_priority(source.doc_id, priority)
    return outcome


@dataclass
class _Parsed:
    """What parsing one source gave, as it crosses from a worker process: the document, or
    the failure as text (exceptions do not always survive pickling)."""

    document: LoadedDocument | None = None
    seconds: float = 0.0
    reason: str = ""          # an IngestError's one line
    unexpected: str = ""      # "TypeName: message" of any other exception
    details: str = ""         # its traceback, for the log


def _parse(source: SourceInfo, settings: Settings) -> _Parsed:
    started = time.perf_counter()
    try:
        document = load_document(source, settings)
    except IngestError as exc:
        return _Parsed(reason=exc.reason, seconds=time.perf_counter() - started)
    except Exception as exc:  # reported by the main process; the batch goes on
        import traceback

        return _Parsed(unexpected=f"{type(exc).__name__}: {str(exc)[:120]}", details=traceback.format_exc(),
                       seconds=time.perf_counter() - started)
    return _Parsed(document=document, seconds=time.perf_counter() - started)


# Below this much to parse, worker processes cost more than they save (each imports the
# loaders first, about a second).
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


def _parse_workers(sources: Sequence[SourceInfo], settings: Settings) -> int:
    if settings.ingest_workers:
        return min(settings.ingest_workers, len(sources))
    size = sum(s.path.stat().st_size for s in sources if s.path.is_file())
    if len(sources) < 2 or size < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 4, len(sources)))


def _parse_in_order(sources: Sequence[SourceInfo], settings: Settings) -> Iterator[_Parsed]:
    """``_parse`` of every source, yielded in order (PDF text extraction is most of an
    ingest: 33 s of 38 for the default corpus on one core). With several workers the
    documents are parsed side by side and each is stored as soon as it and those before it
    are there; if a worker process dies, the rest is parsed here."""
    workers = _parse_workers(sources, settings)
    if workers <= 1:
        for source in sources:
            yield _parse(source, settings)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # "spawn": the app ingests from a thread, and forking a threaded process is unsafe.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {n: pool.submit(_parse, source, settings) for n, source in enumerate(sources)}
        broken = False
        for n, source in enumerate(sources):
            if not broken:
                try:
                    yield futures[n].result()
                    continue
                except BrokenProcessPool as exc:
                    log.warning("a parsing process stopped (%s); parsing the rest in this process", exc)
                    broken = True
            yield _parse(source, settings)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _store(source: SourceInfo, parse: _Parsed, settings: Settings, index: IndexWriter, states: dict,
           report: IngestReport, outcome: DocumentOutcome, priority: int) -> None:
    """Put one parsed document into the store (its chunks, removals, warnings into ``outcome``)."""
    outcome.parse_seconds = parse.seconds
    report.parse_seconds += parse.seconds
    if parse.document is None:
        if parse.reason:
            outcome.message = parse.reason
            log.warning("%s: %s", source.path, parse.reason)
        else:
            log.error("unexpected error while ingesting %s\n%s", source.path, parse.details)
            outcome.message = f"unexpected error ({parse.unexpected}); details in the log"
        return
    document = parse.document
    try:
        outcome.pages = document.pages
        new, removed = index.put_document(document, outcome.path, priority)
        outcome.chunks = len({c.id for c in document.chunks})
        outcome.removed = removed
        outcome.status = "added" if source.doc_id not in states else "updated"
        if document.warnings:
            outcome.message = "; ".join(document.warnings)[:300]
    except IngestError as exc:
        outcome.message = exc.reason
        log.warning("%s", exc)
    except Exception as exc:  # keep the batch going; the traceback goes to the log file
        log.exception("unexpected error while ingesting %s", source.path)
        if _disk_full(exc, settings):
            outcome.message = _disk_full_message(settings, "free space and rerun; the document is not searched "
                                                           "until then")
        else:
            outcome.message = f"unexpected error ({type(exc).__name__}: {str(exc)[:120]}); details in the log"


def _disk_full_message(settings: Settings, consequence: str) -> str:
    return f"the index folder {settings.data} is full (no space left on device): {consequence}"


def _disk_full(exc: BaseException, settings: Settings) -> bool:
    """Chroma reports a full disk in many words; the free space of the data folder decides."""
    import errno
    import shutil

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if "No space left" in str(exc) or "disk is full" in str(exc):
        return True
    if settings.uses_chroma_server:
        return False
    try:
        return shutil.disk_usage(settings.data).free < 1024 * 1024
    except OSError:
        return False
