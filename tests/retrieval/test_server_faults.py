"""The Chroma server goes away while an Assistant runs, and comes back."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.chunk_index import ChromaUnavailableError
from ingest.pipeline import run_ingest
from tests.conftest import make_settings, stop_process, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.server]

FILES = ["landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt", "sgb2/rbsfv_2026/BJNR0F30B0025.xml"]


def start_chroma(path: Path, port: int, log: Path) -> subprocess.Popen:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    process = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log.open("a"), stderr=subprocess.STDOUT)
    wait_for_port(port, process=process)
    return process


def test_server_stop_gives_clear_error_and_restart_recovers_without_new_assistant(tmp_path, corpus_dir,
                                                                                  chroma_server):
    from retrieval.assistant import Assistant

    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server["port"])
    run_ingest([corpus_dir / f for f in FILES], settings, progress=False)
    assistant = Assistant(settings)
    question = "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
    assert assistant.ask(question).citations

    stop_process(chroma_server["process"])
    with pytest.raises(ChromaUnavailableError) as error:
        assistant.ask(question)
    assert f"127.0.0.1:{chroma_server['port']}" in str(error.value)

    restarted = start_chroma(chroma_server["path"], chroma_server["port"], tmp_path / "chroma-restart.log")
    try:
        answer = assistant.ask(question)
        assert any(c.label == "Antwort auf Kleine Anfrage 5591, zu Frage 3" for c in answer.citations)
    finally:
        stop_process(restarted)
