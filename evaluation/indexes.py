"""The indexes evaluations run against, kept apart from the app's own index.

Each lives in its own data folder under ``<settings.data>/eval-index/`` (own Chroma folder and
BM25 index), named by a hash of what it is built from, and shares the embedding cache of the
main data folder. Builds are incremental (content hashes), so a rerun on unchanged input
embeds nothing and takes seconds, and the three retrievers of ``make eval`` share one index.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from fundstelle.settings import Settings

log = logging.getLogger(__name__)

EVAL_INDEX_DIR = "eval-index"
CACHE_FILE = "embedding-cache.sqlite"
PARAGRAPH_DOC_PREFIX = "paragraph:"


class EvaluationError(RuntimeError):
    """The evaluation cannot run as asked (missing file, bad format, empty index); one line."""


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD paragraph as a document of its own; ``pid`` is a hash of its text."""

    pid: str
    title: str
    context: str


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def eval_settings(settings: Settings, name: str, **updates) -> Settings:
    """Settings whose data folder is ``<settings.data>/eval-index/<name>``, sharing the main
    embedding cache (a symlink to it), so passages embedded once are never embedded again."""
    folder = settings.data / EVAL_INDEX_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    if settings.embedding_cache:
        shared = (settings.data / CACHE_FILE).resolve()
        shared.parent.mkdir(parents=True, exist_ok=True)
        link = folder / CACHE_FILE
        if not link.exists() and not link.is_symlink():
            link.symlink_to(shared)
    return settings.model_copy(update={"data": folder, **updates})


def corpus_index(settings: Settings, corpus: Path | None = None, *, progress: bool = True):
    """Build or update the evaluation index of ``corpus`` (default: the configured corpus).

    Returns ``(settings for that index, IngestReport)``. Documents that left the corpus are
    pruned. The configured corpus is ingested through the catalogue (as ``python -m ingest``
    does); any other folder file by file.
    """
    from ingest import run_ingest

    corpus = (corpus or settings.corpus).expanduser().resolve()
    if not corpus.is_dir():
        raise EvaluationError(f"corpus folder {corpus} does not exist")
    target = eval_settings(settings, f"corpus-{_key(str(corpus), settings.embedding)}", corpus=corpus)
    paths = None if corpus == settings.corpus else [corpus]
    report = run_ingest(paths, target, prune=True, progress=progress)
    for failure in report.failures:
        log.warning("evaluation index: %s not indexed: %s", failure.path, failure.message)
    if not report.total_chunks:
        raise EvaluationError(f"no document of {corpus} could be indexed")
    return target, report


def paragraph_doc_id(pid: str) -> str:
    return PARAGRAPH_DOC_PREFIX + pid


def paragraph_of(doc_id: str) -> str:
    """The paragraph id of a document id made by ``paragraph_index`` ('' for other documents)."""
    return doc_id[len(PARAGRAPH_DOC_PREFIX):] if doc_id.startswith(PARAGRAPH_DOC_PREFIX) else ""


def paragraph_index(settings: Settings, paragraphs: Mapping[str, Paragraph], *, progress: bool = True) -> Settings:
    """Build or update an index where each paragraph is one document (kind ``other``).

    Each paragraph is written as a UTF-8 ``.txt`` file and parsed by the generic loader, so it
    is chunked like any text file a user adds (long paragraphs become parts with one label).
    Document ids are ``paragraph:<pid>``. Returns the settings for that index.
    """
    from ingest import SourceInfo, run_ingest

    if not paragraphs:
        raise EvaluationError("no paragraphs to index")
    name = f"paragraphs-{_key(settings.embedding, str(settings.max_chunk_chars), *sorted(paragraphs))}"
    target = eval_settings(settings, name)
    folder = target.data / "paragraphs"
    folder.mkdir(exist_ok=True)
    sources = []
    for pid, paragraph in paragraphs.items():
        path = folder / f"{pid}.txt"
        if not path.exists():
            path.write_text(paragraph.context, encoding="utf-8")
        sources.append(SourceInfo(doc_id=paragraph_doc_id(pid), path=path, kind="other", loader="generic",
                                  title=paragraph.title))
    report = run_ingest(None, target, sources=sources, prune=True, progress=progress)
    for failure in report.failures:
        log.warning("paragraph %s not indexed: %s", failure.doc_id, failure.message)
    if not report.total_chunks:
        raise EvaluationError("no paragraph could be indexed")
    return target
