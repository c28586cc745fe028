"""Heavy objects, created once per server process and shared by all sessions.

The ``Assistant`` holds the embedding model, the Chroma client and the BM25 index; building
it takes seconds, so ``st.cache_resource`` keeps one per settings. A failed build (no index,
Chroma down) is not cached, so "Erneut versuchen" simply tries again.
"""
from __future__ import annotations

import logging

import streamlit as st

from fundstelle.settings import Settings

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False, max_entries=4)
def _assistant(settings_json: str):
    from fundstelle.embeddings import limit_query_threads
    from retrieval import Assistant

    settings = Settings.model_validate_json(settings_json)
    limit_query_threads(settings.query_threads)   # this process answers questions, one at a time
    log.info("building the assistant (embedding model, index, BM25) for collection %s", settings.collection)
    assistant = Assistant(settings)
    _built.add(settings_json)
    return assistant


# Settings whose assistant this process has built (and not reset): the page then skips its
# loading notice.
_built: set[str] = set()


def get_assistant(settings: Settings):
    """The process-wide ``Assistant`` for these settings (built on first use)."""
    return _assistant(settings.model_dump_json())


def assistant_built(settings: Settings) -> bool:
    """True when ``get_assistant`` returns at once (the assistant is built)."""
    return settings.model_dump_json() in _built


@st.cache_resource(show_spinner=False, max_entries=4)
def _llm_status(settings_json: str) -> tuple[str | None, str | None]:
    assistant = _assistant(settings_json)
    try:
        return assistant.llm_available(), None
    except Exception as exc:  # endpoint down, model missing: extractive answers still work
        log.warning("LLM not available: %s", exc)
        return None, f"{type(exc).__name__}: {str(exc)[:160]}"


def llm_status(settings: Settings) -> tuple[str | None, str | None]:
    """(model name, None) when an LLM is configured and loads; (None, error) when it fails;
    (None, None) when none is configured."""
    return _llm_status(settings.model_dump_json())


@st.cache_resource(show_spinner=False, max_entries=4)
def _background_embedder(settings_json: str):
    from ingest import BackgroundEmbedder

    return BackgroundEmbedder(Settings.model_validate_json(settings_json))


def background_embedder(settings: Settings):
    """The process-wide background embedder for these settings (survives page reloads)."""
    return _background_embedder(settings.model_dump_json())


def ensure_dense_index(settings: Settings, assistant) -> None:
    """Start building the dense index in the background when the assistant's index lacks
    embeddings or sentence vectors (fresh start after ``python -m ingest --no-embed``, new
    documents, or an index built before sentence vectors were stored)."""
    if not settings.background_embedding:
        return
    if assistant.searcher.dense_complete and assistant.sentences_complete():
        return
    embedder = background_embedder(settings)
    embedder.yield_to = lambda: assistant.questions_in_flight > 0
    if not embedder.running and embedder.status.state not in {"done", "failed", "busy"}:
        log.info("starting the background embedder (%d of %d chunks embedded)",
                 assistant.searcher.dense_embedded, assistant.searcher.dense_total)
        embedder.start()


def reset() -> None:
    """Forget the cached assistant (after an ingest, or to retry a failed connection)."""
    _assistant.clear()
    _built.clear()
    _llm_status.clear()


@st.cache_resource(show_spinner=False, max_entries=4)
def _originals(corpus: str, address: str):
    from pathlib import Path

    from app_support.originals import OriginalsServer

    return OriginalsServer(Path(corpus), address=address).start()


def originals_server(settings: Settings):
    """The process-wide read-only server of the corpus folder (started on first use), bound
    to the address Streamlit listens on; None when it cannot start (the card then offers the
    official URL only)."""
    address = st.get_option("server.address") or "0.0.0.0"
    try:
        return _originals(str(settings.corpus), address)
    except OSError as exc:
        log.warning("cannot serve the originals from %s: %s", settings.corpus, exc)
        return None


@st.cache_resource(show_spinner=False)
def answer_worker():
    """Threads that compute answers for all sessions, so an answer outlives the script run
    that asked for it (a rerun caused by the next question does not cancel it)."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="fundstelle-answer")
