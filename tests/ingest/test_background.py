"""The dense index built after the keyword index: `python -m ingest --no-embed`, then the
embedder (a CLI process or the app's background thread). Killed or stopped half-way, it
resumes with no duplicate and no missing chunk."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from fundstelle.settings import REPO_ROOT
from ingest.background import BackgroundEmbedder, EmbedderLock
from index.chunk_index import ChunkIndex
from index.writer import IndexWriter
from ingest.pipeline import run_ingest
from tests.conftest import make_settings, settings_env

pytestmark = pytest.mark.slow

FILES = ["landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt", "sgb2/rbsfv_2026/BJNR0F30B0025.xml",
         "sgb2/gii_stand_2026-04-23/BJNR295500003.xml"]


@pytest.fixture
def read_only_index(tmp_path, corpus_dir, core_index_settings):
    """Chunk store and BM25 for FILES, no embeddings yet (the core index warmed the
    embedding cache for these files, so embedding them here is quick). No training questions:
    the embedder would otherwise fine-tune a query encoder after the last chunk (ten minutes and
    more on two cores), which these tests are not about and which ran past their time limits."""
    settings = make_settings(tmp_path / "data", query_adapter_questions=None)
    report = run_ingest([corpus_dir / f for f in FILES], settings, progress=False, embed=False)
    assert not report.failures and report.pending == report.total_chunks > 100
    return settings


def chroma_ids(settings) -> list[str]:
    return [cid for cid, _, _ in ChunkIndex(settings).iter_records(include=())]


def wait_for(condition, timeout: float = 300.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_killed_embedder_resumes_with_no_duplicate_and_no_missing_chunk(read_only_index, tmp_path):
    settings = read_only_index
    hold = tmp_path / "hold"
    hold.touch()
    env = {**settings_env(settings), "FUNDSTELLE_EMBED_HOLD_FILE": str(hold), "FUNDSTELLE_EMBED_HOLD_AFTER": "32"}
    embedder = subprocess.Popen([sys.executable, "-m", "ingest", "embed", "--quiet"], cwd=REPO_ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    log = settings.log_path
    wait_for(lambda: log.exists() and "embedder held" in log.read_text(), what="the embedder to hold")
    embedder.send_signal(signal.SIGKILL)
    embedder.wait(timeout=30)
    partial = chroma_ids(settings)
    store_ids = ChunkIndex(settings).store.ids()
    assert 32 <= len(partial) < len(store_ids), "killed mid-way"

    rerun = subprocess.run([sys.executable, "-m", "ingest", "embed", "--json"], cwd=REPO_ROOT,
                           env=settings_env(settings), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    final = chroma_ids(settings)
    assert len(final) == len(set(final)), "duplicate records"
    assert sorted(final) == sorted(store_ids), "missing or extra chunks"
    assert set(partial) <= set(final)


def test_embedding_after_keyword_index_equals_a_full_ingest(read_only_index, tmp_path, corpus_dir):
    embedder = BackgroundEmbedder(read_only_index)
    embedder.start()
    status = embedder.wait(timeout=600)
    assert status.state == "done" and status.embedded == status.total > 100
    clean = make_settings(tmp_path / "clean", query_adapter_questions=None)
    run_ingest([corpus_dir / f for f in FILES], clean, progress=False)
    index, reference = IndexWriter(read_only_index), IndexWriter(clean)
    assert sorted(chroma_ids(read_only_index)) == sorted(chroma_ids(clean))
    assert index.document_states().keys() == reference.document_states().keys()


def test_stopped_background_embedder_resumes_where_it_stopped(read_only_index, tmp_path):
    settings = read_only_index.model_copy(update={"embed_hold_file": tmp_path / "hold", "embed_hold_after": 16})
    settings.embed_hold_file.touch()
    first = BackgroundEmbedder(settings)
    first.start()
    wait_for(lambda: first.status.state == "held", what="the hold")
    first.stop()
    done_before = len(chroma_ids(settings))
    assert 16 <= done_before < len(ChunkIndex(settings).store.ids())
    assert first.status.embedded == done_before, "everything it reported done is in the index"

    settings.embed_hold_file.unlink()
    second = BackgroundEmbedder(settings)
    second.start()
    status = second.wait(timeout=600)
    assert status.state == "done"
    assert status.total == len(ChunkIndex(settings).store.ids()) - done_before
    assert sorted(chroma_ids(settings)) == sorted(ChunkIndex(settings).store.ids())


def test_search_uses_keywords_until_chunks_are_embedded(read_only_index):
    from retrieval.search import HybridSearcher

    searcher = HybridSearcher(read_only_index)
    before = searcher.search("Regelbedarfsstufe 1 Betrag 2026", k=5)
    assert before.retrievers == ["bm25"] and before.dense_coverage == 0.0
    assert before.hits[0].chunk.doc_id == "rbsfv-2026"
    BackgroundEmbedder(read_only_index).start()
    wait_for(lambda: (searcher.ensure_current() or searcher.dense_complete), what="the dense index")
    after = searcher.search("Regelbedarfsstufe 1 Betrag 2026", k=5)
    assert after.retrievers == ["dense", "bm25"] and after.dense_coverage == 1.0
    assert after.hits[0].chunk.doc_id == "rbsfv-2026"


def test_second_embedder_on_the_same_index_is_refused(read_only_index):
    with EmbedderLock(read_only_index):
        result = subprocess.run([sys.executable, "-m", "ingest", "embed"], cwd=REPO_ROOT,
                                env=settings_env(read_only_index), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "another process is embedding into this index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


EXIT_WHILE_EMBEDDING = """
import time
from fundstelle.settings import Settings
from ingest.background import BackgroundEmbedder
embedder = BackgroundEmbedder(Settings())
embedder.start()
deadline = time.monotonic() + 300
while embedder.running and embedder.status.embedded < 16 and time.monotonic() < deadline:
    time.sleep(0.05)
# A large heap, like an app's or a test session's, keeps Python's finalisation busy long enough
# for the embedder thread to come back from the model meanwhile.
heap = []
for _ in range(2_000_000):
    node = {}
    node["self"] = node
    heap.append(node)
print("embedded", embedder.status.embedded, flush=True)
"""


def test_a_process_that_exits_while_the_embedder_runs_exits_cleanly_and_keeps_whole_records(read_only_index):
    # The script ends while the daemon thread is inside the model (no embedding cache, so every
    # batch runs it): Python must not be finalised under it.
    env = {**settings_env(read_only_index), "FUNDSTELLE_EMBEDDING_CACHE": "false"}
    done = subprocess.run([sys.executable, "-c", EXIT_WHILE_EMBEDDING], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
    partial = chroma_ids(read_only_index)
    assert 16 <= len(partial) < len(ChunkIndex(read_only_index).store.ids()), "stopped after a batch, not at the end"
    assert len(partial) == len(set(partial))


EXIT_WHILE_LOADING = """
import time
from fundstelle.settings import Settings
from ingest.background import BackgroundEmbedder, START_GRACE_SECONDS
embedder = BackgroundEmbedder(Settings())
embedder.start()
time.sleep(START_GRACE_SECONDS + 1.5)
print("exiting while", embedder.status.state, "and", embedder.status.embedded, "chunks embedded", flush=True)
"""


def test_a_process_that_exits_while_the_embedder_loads_its_model_reports_no_failure(read_only_index):
    # Stopping the app a few seconds after its start: the embedder thread is still importing the
    # model, and the interpreter's exit makes that import fail before the exit handler stops the
    # thread. That is a stop, not a failure: no error and no traceback in the console.
    env = {**settings_env(read_only_index), "FUNDSTELLE_EMBEDDING_CACHE": "false"}
    done = subprocess.run([sys.executable, "-c", EXIT_WHILE_LOADING], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exiting while running and 0 chunks embedded" in done.stdout, "the model was already loaded"
    assert "background embedding stopped" not in done.stderr, done.stderr[-2000:]
    assert "can't register atexit" not in done.stderr
