"""Opening Chroma in a fresh process: chromadb loads with its override lint skipped, works,
and leaves the ``overrides`` package as it found it."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from fundstelle.settings import REPO_ROOT

SCRIPT = textwrap.dedent("""
    import sys
    import overrides
    from fundstelle.settings import Settings
    from index.chunk_index import make_chroma_client

    before = (overrides.override, overrides.overrides)
    client = make_chroma_client(Settings(data=sys.argv[1]))
    assert (overrides.override, overrides.overrides) == before, "overrides not restored"
    collection = client.get_or_create_collection("probe")
    collection.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["eins", "zwei"])
    found = collection.query(query_embeddings=[[0.9, 0.1]], n_results=1)
    print(found["documents"][0][0])
""")


def test_chroma_opened_in_a_fresh_process_answers_and_restores_overrides(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "data")], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "eins"
