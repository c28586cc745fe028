"""Index snapshots: export the core index once, import it elsewhere, refuse damaged or foreign files.

Real Chroma, the real embedding model, real corpus files (the session's core index); the
snapshot is written once per module, imports take seconds (no embedding)."""
from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tarfile

import numpy as np
import pytest
import zstandard

from fundstelle.settings import REPO_ROOT, Settings
from index.chunk_index import ChunkIndex
from index.lexical import LexicalIndex
from ingest.snapshot import SnapshotError, export_snapshot, import_snapshot
from tests.conftest import CORPUS, make_settings, settings_env

pytestmark = pytest.mark.slow

QUESTIONS = [
    "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?",
    "Ab wann gilt man als langzeitarbeitslos?",
    "Welche Kennzahlen werden nach § 48a SGB II verglichen?",
]


def answers(settings: Settings, questions=QUESTIONS) -> list[tuple[str, list[tuple[str, str]]]]:
    """(answer text, [(citation label, chunk id)]) per question, from a fresh Assistant."""
    from retrieval.assistant import Assistant

    assistant = Assistant(settings)
    try:
        out = []
        for question in questions:
            answer = assistant.ask(question)
            out.append((answer.text, [(c.label, c.chunk_id) for c in answer.citations]))
        return out
    finally:
        assistant.index.store.close()


def index_state(settings: Settings) -> dict:
    """What a reader of the index sees: collections, ids with vectors, store, BM25 version."""
    index = ChunkIndex(settings, create=False)
    try:
        return {"collections": sorted(c.name for c in index.client.list_collections()),
                "collection_ids": sorted(cid for cid, _, _ in index.iter_records(include=())),
                "store_ids": index.store.ids(),
                "lexical": LexicalIndex.load(settings.lexical_path).version,
                "progress": index.dense_progress()}
    finally:
        index.store.close()


def repack(source, target, change) -> None:
    """Copy a snapshot member by member; ``change(name, data)`` returns the new bytes."""
    with open(source, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader, \
            tarfile.open(fileobj=reader, mode="r|") as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar]
    with open(target, "wb") as raw, zstandard.ZstdCompressor().stream_writer(raw) as writer, \
            tarfile.open(fileobj=writer, mode="w|") as tar:
        for name, data in members:
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def change_manifest(edit):
    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode("utf-8")
    return change


@pytest.fixture(scope="module")
def snapshot(core_index_settings, tmp_path_factory):
    target = tmp_path_factory.mktemp("snapshot") / "core.tar.zst"
    manifest = export_snapshot(core_index_settings, target, progress=False)
    return target, manifest


@pytest.fixture(scope="module")
def core_answers(core_index_settings):
    return answers(core_index_settings)


@pytest.fixture(scope="module")
def imported(snapshot, tmp_path_factory):
    """A staff machine: an empty data folder that got the snapshot."""
    settings = make_settings(tmp_path_factory.mktemp("staff") / "data")
    result = import_snapshot(settings, snapshot[0], progress=False)
    return settings, result


@pytest.fixture
def existing(imported, core_answers):
    """The staff machine's index as it is before a failing import, and its first answer."""
    settings = imported[0]
    return settings, index_state(settings)


def assert_untouched(settings, before, core_answers):
    assert index_state(settings) == before
    assert answers(settings, QUESTIONS[:1]) == core_answers[:1]
    leftovers = [p.name for p in settings.data.rglob("*") if ".import-" in p.name or "snapshot-import" in p.name]
    assert leftovers == []


def test_export_writes_a_manifest_describing_every_member(snapshot, core_index_settings):
    target, manifest = snapshot
    index = ChunkIndex(core_index_settings, create=False)
    assert manifest["format"] == "fundstelle-snapshot/1"
    assert manifest["chunks"] == index.store.count() == index.count()
    assert manifest["embedding_model"] == index.model_name and manifest["embedding_dim"] == index.model_dim
    assert {"chunks.sqlite", "embeddings.npy", "embedding_ids.json", "lexical/manifest.json"} <= set(manifest["files"])
    assert sum(s["chunks"] for s in manifest["sources"]) == manifest["chunks"]
    assert all(len(s["sha256"]) == 64 and s["source_path"] for s in manifest["sources"])
    # The query adapter travels in the chunk store; the manifest says what it was fitted from.
    assert manifest["query_adapter"] == index.query_adapter() and manifest["query_adapter"]["questions"] >= 200
    # … and the training questions stored beside it as neighbours.
    assert manifest["query_adapter"]["question_bank"]["questions"] == manifest["query_adapter"]["questions"]
    assert not [p for p in target.parent.iterdir() if p != target], "no temporary files left beside the snapshot"


def test_import_into_empty_folder_answers_like_the_original(imported, core_answers, snapshot):
    settings, result = imported
    assert result["imported"]["chunks"] == snapshot[1]["chunks"]
    assert result["imported"]["replaced_chunks"] is None
    assert answers(settings) == core_answers
    assert all(citations for _, citations in core_answers), "every question is answered with citations"
    embedded, total = index_state(settings)["progress"]
    assert embedded == total == snapshot[1]["chunks"]


def test_imported_vectors_fill_the_embedding_cache(snapshot, tmp_path):
    from fundstelle.embeddings import CachedEmbedder, load_embedder
    from index.chunk import Chunk
    from index.chunk_index import embedding_text

    settings = Settings(data=tmp_path / "data", corpus=CORPUS)  # own, empty embedding cache
    import_snapshot(settings, snapshot[0], progress=False)
    index = ChunkIndex(settings, create=False)
    texts = [embedding_text(Chunk.from_record(text, meta)) for _, text, meta in index.store.iter_records()]
    cached = CachedEmbedder(load_embedder(settings.embedding), settings.data / "embedding-cache.sqlite")
    cached.embed_passages(texts[:: max(1, len(texts) // 40)])
    assert cached.hits > 0 and cached.misses == 0
    with sqlite3.connect(settings.data / "embedding-cache.sqlite") as db:
        # one entry per distinct text (the two SGB II Fassungen share many paragraphs)
        assert db.execute("SELECT COUNT(*) FROM emb").fetchone()[0] == len(set(texts))


def test_truncated_snapshot_is_refused_and_the_index_kept(existing, snapshot, core_answers, tmp_path):
    settings, before = existing
    data = snapshot[0].read_bytes()
    broken = tmp_path / "half.tar.zst"
    broken.write_bytes(data[:len(data) // 2])
    with pytest.raises(SnapshotError, match="damaged or truncated") as error:
        import_snapshot(settings, broken, progress=False)
    assert "half.tar.zst" in str(error.value) and "\n" not in str(error.value)
    assert_untouched(settings, before, core_answers)


def test_snapshot_of_another_model_is_refused_naming_both(existing, snapshot, core_answers, tmp_path):
    settings, before = existing
    foreign = tmp_path / "minilm.tar.zst"
    repack(snapshot[0], foreign,
           change_manifest(lambda m: m.update(embedding_model="sentence-transformers/all-MiniLM-L6-v2")))
    with pytest.raises(SnapshotError) as error:
        import_snapshot(settings, foreign, progress=False)
    message = str(error.value)
    assert "sentence-transformers/all-MiniLM-L6-v2" in message and snapshot[1]["embedding_model"] in message
    assert "FUNDSTELLE_EMBEDDING" in message
    assert_untouched(settings, before, core_answers)


def test_member_with_wrong_checksum_is_refused_by_name(existing, snapshot, core_answers, tmp_path):
    settings, before = existing
    altered = tmp_path / "altered.tar.zst"
    repack(snapshot[0], altered, change_manifest(lambda m: m["files"]["embeddings.npy"].update(sha256="0" * 64)))
    with pytest.raises(SnapshotError, match="'embeddings.npy' does not match the manifest"):
        import_snapshot(settings, altered, progress=False)
    assert_untouched(settings, before, core_answers)


def test_member_path_outside_the_folder_is_refused(existing, snapshot, core_answers, tmp_path):
    settings, before = existing
    hostile = tmp_path / "hostile.tar.zst"
    with open(hostile, "wb") as raw, zstandard.ZstdCompressor().stream_writer(raw) as writer, \
            tarfile.open(fileobj=writer, mode="w|") as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(SnapshotError, match="unsafe path"):
        import_snapshot(settings, hostile, progress=False)
    assert not (settings.data.parent / "escaped.txt").exists()
    assert_untouched(settings, before, core_answers)


def test_second_import_replaces_the_index(imported, snapshot, core_answers):
    settings, _ = imported
    result = import_snapshot(settings, snapshot[0], progress=False)
    assert result["imported"]["replaced_chunks"] == snapshot[1]["chunks"]
    state = index_state(settings)
    assert state["collections"] == [settings.collection]
    assert answers(settings, QUESTIONS[:1]) == core_answers[:1]


@pytest.mark.server
def test_import_into_a_chroma_server(snapshot, core_answers, tmp_path, chroma_server):
    settings = make_settings(tmp_path / "data", chroma_host=chroma_server["host"], chroma_port=chroma_server["port"])
    import_snapshot(settings, snapshot[0], progress=False)
    assert answers(settings, QUESTIONS[:1]) == core_answers[:1]
    assert index_state(settings)["collections"] == [settings.collection]
    assert not settings.chroma_path.exists()


def test_export_refuses_an_incomplete_dense_index(tmp_path, corpus_dir):
    from ingest.pipeline import run_ingest

    settings = make_settings(tmp_path / "data")
    run_ingest([corpus_dir / "sgb2/rbsfv_2026/BJNR0F30B0025.xml"], settings, progress=False, embed=False)
    target = tmp_path / "out.tar.zst"
    with pytest.raises(SnapshotError, match="run `python -m ingest embed` first"):
        export_snapshot(settings, target, progress=False)
    assert list(tmp_path.glob("*out.tar.zst*")) == []


def run_cli(args, settings):
    return subprocess.run([sys.executable, "-m", "ingest", *args], check=False, cwd=REPO_ROOT,
                          env=settings_env(settings), capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("command", ["export", "import"])
def test_cli_help_explains_the_office_workflow(tmp_path, command):
    result = run_cli([command, "--help"], make_settings(tmp_path / "data"))
    assert result.returncode == 0
    assert f"usage: python -m ingest {command}" in result.stdout
    assert "Office workflow" in result.stdout


def test_cli_import_of_a_damaged_file_prints_one_error_line(tmp_path, snapshot):
    settings = make_settings(tmp_path / "data")
    broken = tmp_path / "broken.tar.zst"
    data = snapshot[0].read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    result = run_cli(["import", str(broken), "--quiet"], settings)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "damaged or truncated" in lines[0], result.stderr


def test_vectors_in_the_snapshot_are_the_collections(snapshot, core_index_settings, tmp_path):
    """The archive's vectors row i belong to embedding_ids[i] (spot check against Chroma)."""
    with open(snapshot[0], "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader, \
            tarfile.open(fileobj=reader, mode="r|") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}
    ids = json.loads(members["embedding_ids.json"])
    vectors = np.load(io.BytesIO(members["embeddings.npy"]))
    index = ChunkIndex(core_index_settings, create=False)
    sample = ids[:: max(1, len(ids) // 10)]
    got = index.collection.get(ids=sample, include=["embeddings"])
    for cid, vector in zip(got["ids"], got["embeddings"]):
        assert np.allclose(vectors[ids.index(cid)], vector)


def test_snapshot_carries_the_sentence_vectors(small_index_settings, real_embedder, tmp_path):
    from retrieval.assistant import Assistant
    from tests.conftest import CountingEmbedder

    target = tmp_path / "small.tar.zst"
    manifest = export_snapshot(small_index_settings, target, progress=False)
    staff = make_settings(tmp_path / "staff", embedding_cache=False)
    import_snapshot(staff, target, progress=False)
    counting = CountingEmbedder(real_embedder)
    index = ChunkIndex(staff, embedder=counting)
    assert manifest["sentence_chunks"] == manifest["chunks"]
    assert index.sentence_progress() == (manifest["chunks"], manifest["chunks"])
    answer = Assistant(staff, index=index).ask(QUESTIONS[0])
    assert answer.citations, answer.text
    assert counting.passages == []          # every sentence vector came with the snapshot
    # The word bridge too (its word list and vectors): a question in another language searches
    # with corpus words right after the import, with nothing of the corpus embedded again.
    english = Assistant(staff, index=index).ask("Which key figures measure how many job seekers found work?")
    assert english.settings.get("word_bridge"), english.settings


def test_the_imported_index_has_the_snapshot_s_query_adapter(imported, snapshot):
    settings, _ = imported
    assert ChunkIndex(settings, create=False).query_adapter() == snapshot[1]["query_adapter"]
