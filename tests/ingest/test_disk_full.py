"""A full disk during ingest: a clear message, no document is searched half-written, and a
rerun after space is freed converges to the clean-run index. Uses a small tmpfs (needs root,
as in CI)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from fundstelle.settings import REPO_ROOT
from index.chunk_index import ChunkIndex
from ingest.pipeline import run_ingest
from tests.conftest import make_settings, settings_env

pytestmark = [pytest.mark.slow, pytest.mark.root]

BIG = "sgb3/gii_stand_2026-04-22/BJNR059500997.xml"
SMALL = "sgb2/rbsfv_2026/BJNR0F30B0025.xml"


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_reported_and_rerun_converges(tmp_path, corpus_dir, small_disk):
    # Without training questions: each ingest would otherwise fine-tune a query encoder (about
    # ten minutes here), which this test is not about and which ran past the rerun's time limit.
    settings = make_settings(small_disk / "data", query_adapter_questions=None)
    env = settings_env(settings)
    files = [str(corpus_dir / SMALL), str(corpus_dir / BIG)]
    full = subprocess.run([sys.executable, "-m", "ingest", *files, "--quiet"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert full.returncode == 1
    failed = [line for line in full.stderr.splitlines() if line.startswith("FAILED")]
    assert failed and "is full (no space left on device)" in failed[0]

    # Space is freed; until ingest runs again every document is searched whole or not at all:
    # the chunk store writes a document in one transaction.
    subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
    from retrieval.search import HybridSearcher

    searcher = HybridSearcher(settings)
    assert "rbsfv-2026" in searcher.catalog.documents, "the document before the full disk landed"
    for doc_id, info in searcher.catalog.documents.items():
        assert info["chunks"] == info["expected"], f"{doc_id} is searched half-written"
    hits = searcher.search("Regelbedarfsstufe 1 ab 1. Januar 2026", k=5).hits
    assert hits and hits[0].chunk.doc_id == "rbsfv-2026"

    rerun = subprocess.run([sys.executable, "-m", "ingest", *files, "--quiet"], cwd=REPO_ROOT,
                           env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    clean = make_settings(tmp_path / "clean", query_adapter_questions=None)
    run_ingest([corpus_dir / SMALL, corpus_dir / BIG], clean, progress=False)
    ids = lambda s: sorted(cid for cid, _, _ in ChunkIndex(s).iter_records(include=()))  # noqa: E731
    assert ids(settings) == ids(clean)
