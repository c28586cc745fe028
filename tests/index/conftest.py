"""Fixtures shared by the index tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def kennzahlen_index(tmp_path, corpus_dir, real_embedder):
    """(settings, writer) of a fresh index of the Kennzahlen-Verordnung (one small law, fully
    ingested by the write path: chunks, vectors, norm index, word bridge, contextual vectors)."""
    from index.writer import IndexWriter
    from ingest.pipeline import run_ingest
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data")
    writer = IndexWriter(settings, embedder=real_embedder)
    report = run_ingest([corpus_dir / "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml"], settings, index=writer,
                        progress=False)
    assert not report.failures
    return settings, writer


@pytest.fixture
def rewrite_as_older_format():
    """Rewrite a saved norm index (its folder) as a file of an older ``format`` without the
    ``dropped`` keys that format did not have, as an index written by older code would be."""
    import json

    def rewrite(folder, format: str, *dropped: str) -> None:
        path = folder / "norms.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["format"] = format
        for key in dropped:
            del data[key]
        path.write_text(json.dumps(data), encoding="utf-8")

    return rewrite
