"""Ingest runs over real corpus files: incremental, replacing, pruning, bad input."""
from __future__ import annotations

import shutil

import pytest

from index.chunk_index import ChunkIndex
from ingest.pipeline import run_ingest
from tests.conftest import make_settings
from tests.fixtures.bad_files import make_bad_batch

pytestmark = pytest.mark.slow

SMALL = ["sgb2/rbsfv_2026/BJNR0F30B0025.xml", "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml"]


@pytest.fixture
def small_corpus(tmp_path, corpus_dir):
    """A private corpus folder with two small real laws (safe to modify)."""
    folder = tmp_path / "corpus"
    for rel in SMALL:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / rel, target)
    return folder


def test_second_run_over_unchanged_corpus_embeds_nothing(tmp_path, small_corpus):
    settings = make_settings(tmp_path / "data")
    first = run_ingest([small_corpus], settings, progress=False)
    assert first.added > 0 and not first.failures
    second = run_ingest([small_corpus], settings, progress=False)
    assert second.added == 0
    assert second.removed == 0
    assert {o.status for o in second.outcomes} == {"unchanged"}
    assert second.total_chunks == first.total_chunks


def test_changed_document_replaces_its_chunks(tmp_path, small_corpus):
    settings = make_settings(tmp_path / "data")
    run_ingest([small_corpus], settings, progress=False)
    path = small_corpus / SMALL[0]
    xml = path.read_text(encoding="utf-8")
    assert "Regelbedarfsstufe" in xml
    path.write_text(xml.replace("Regelbedarfsstufe", "Regelbedarfsklasse"), encoding="utf-8")
    report = run_ingest([small_corpus], settings, progress=False)
    changed = [o for o in report.outcomes if o.status == "updated"]
    assert len(changed) == 1 and changed[0].added >= 1 and changed[0].removed == changed[0].added
    index = ChunkIndex(settings)
    texts = [text for _, text, meta in index.iter_records() if meta["doc_id"] == changed[0].doc_id]
    assert any("Regelbedarfsklasse" in t for t in texts)
    assert index.count() == report.total_chunks


def test_prune_removes_documents_that_are_gone(tmp_path, small_corpus):
    settings = make_settings(tmp_path / "data")
    run_ingest([small_corpus], settings, progress=False)
    (small_corpus / SMALL[1]).unlink()
    kept = run_ingest([small_corpus], settings, progress=False)
    assert not kept.pruned_documents, "without --prune nothing is removed"
    pruned = run_ingest([small_corpus], settings, progress=False, prune=True)
    assert len(pruned.pruned_documents) == 1 and pruned.pruned_chunks > 0
    doc_ids = {meta["doc_id"] for _, _, meta in ChunkIndex(settings).iter_records(include=("metadatas",))}
    assert pruned.pruned_documents[0] not in doc_ids


def test_catalogued_corpus_indexes_each_source_once(tmp_path, corpus_dir):
    """Side files (zip, PDF, JSONL of the same law) are skipped with a reason, not indexed twice."""
    from ingest.catalogue import load_catalogue
    from ingest.pipeline import discover_sources

    settings = make_settings(tmp_path / "data")
    sources, skipped, missing = discover_sources(None, settings, load_catalogue(settings.catalogue))
    paths = {s.path.relative_to(corpus_dir).as_posix() for s in sources}
    assert "sgb2/gii_stand_2025-02-27/BJNR295500003.xml" in paths
    assert "sgb2/gii_stand_2025-02-27/sgb_2_xml.zip" not in paths
    assert "sgb2/gii_stand_2025-02-27/SGB_2.pdf" not in paths
    assert "sgb3/gii_stand_2024-12-31/sgb_3_xml.zip" in paths, "only the zip form exists for this Fassung"
    assert not any(p.endswith((".jsonl", ".json", ".md")) for p in paths)
    assert any("sgb_2_xml.zip" in line and "not indexed twice" in line for line in skipped)
    assert not missing
    assert all(not s.doc_id.startswith("local:") for s in sources), "every corpus file is catalogued"


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "two-parsing-processes"])
def test_bad_files_fail_one_by_one_and_the_rest_lands(tmp_path, corpus_dir, workers):
    settings = make_settings(tmp_path / "data", ingest_workers=workers)
    make_bad_batch(tmp_path / "batch", [corpus_dir / SMALL[0]])
    report = run_ingest([tmp_path / "batch"], settings, progress=False)
    by_name = {o.path.rsplit("/", 1)[-1]: o for o in report.outcomes}
    expected = {
        "kaputt.pdf": "corrupt",
        "verschluesselt.pdf": "encrypted",
        "leer.txt": "empty file",
        "scan.pdf": "needs OCR",
        "abgebrochen.xml": "broken XML",
        "notiz.docx": "unsupported file type",
        "riesig.pdf": "too large",
    }
    for name, phrase in expected.items():
        outcome = by_name[name]
        assert outcome.status == "failed", name
        assert phrase in outcome.message, (name, outcome.message)
        assert "\n" not in outcome.message
    assert by_name["BJNR0F30B0025.xml"].status == "added" and by_name["BJNR0F30B0025.xml"].added > 0
    latin = by_name["umlaute_cp1252.txt"]
    assert latin.status == "added", latin.message
    assert "not UTF-8" in latin.message
    texts = [t for _, t, _ in ChunkIndex(settings).iter_records()]
    assert any("Die Maßnahme für Arbeitsuchende läuft über zwölf Monate." in t for t in texts)
    assert len(report.failures) == len(expected)


WEISUNGEN = ["ba_weisungen/sgb2/FW_SGB_II_Par_19_Buergergeld_2023.pdf",
             "ba_weisungen/sgb2/FW_SGB_II_Par_20_Regelbedarfe_2023.pdf", SMALL[0]]


def test_documents_parsed_in_worker_processes_give_the_same_chunks(tmp_path, corpus_dir):
    folder = tmp_path / "corpus"
    for rel in WEISUNGEN:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / rel, folder / rel)
    records = {}
    for workers in (1, 2):
        settings = make_settings(tmp_path / f"data-{workers}", ingest_workers=workers, corpus=folder)
        report = run_ingest([folder], settings, progress=False, embed=False)
        assert not report.failures and [o.status for o in report.outcomes] == ["added"] * 3
        index = ChunkIndex(settings)
        ids = index.load_lexical().ids
        chunks = index.chunks(ids)
        records[workers] = [(cid, chunks[cid].text, chunks[cid].label) for cid in ids]
    assert len(records[1]) > 30
    assert records[2] == records[1]


def test_most_asked_sources_come_first_older_fassungen_last(tmp_path):
    from ingest.catalogue import load_catalogue
    from ingest.pipeline import discover_sources

    settings = make_settings(tmp_path / "data")
    sources, _, _ = discover_sources(None, settings, load_catalogue(settings.catalogue))
    order = [s.doc_id for s in sources]
    assert order[0] == "landtag-nrw-18-ka-5591-antwort"
    assert set(order[-2:]) == {"sgb2-2025-02-27", "sgb3-2024-12-31"}
    assert order.index("sgb2-2026-04-23") < min(i for i, d in enumerate(order) if d.startswith("fw-"))
