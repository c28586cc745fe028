"""`python -m ingest` as a user runs it: help, summary, exit codes, kill and rerun."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from fundstelle.settings import REPO_ROOT
from tests.conftest import make_settings, settings_env

FILES = ["sgb2/rbsfv_2026/BJNR0F30B0025.xml", "sgb2/verordnung_kennzahlen_48a/BJNR115200010.xml",
         "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"]


def run_cli(args, settings, **kwargs):
    return subprocess.run([sys.executable, "-m", "ingest", *args], cwd=REPO_ROOT, env=settings_env(settings),
                          capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture
def corpus_copy(tmp_path, corpus_dir):
    folder = tmp_path / "corpus"
    for rel in FILES:
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / rel, folder / rel)
    return folder


@pytest.mark.parametrize("command", [[], ["fetch"], ["stats"]])
def test_every_command_has_help(tmp_path, command):
    result = run_cli([*command, "--help"], make_settings(tmp_path / "data"))
    assert result.returncode == 0
    assert "usage: python -m ingest" in result.stdout


def test_rerun_says_nothing_to_embed(tmp_path, corpus_copy):
    settings = make_settings(tmp_path / "data")
    first = run_cli([str(corpus_copy), "--quiet"], settings)
    assert first.returncode == 0, first.stderr
    second = run_cli([str(corpus_copy), "--json"], settings)
    summary = json.loads(second.stdout)
    assert summary["added"] == 0 and summary["unchanged"] > 0 and summary["failed"] == []
    third = run_cli([str(corpus_copy), "--quiet"], settings)
    assert "Nothing to embed: the index is up to date." in third.stdout


def test_failed_document_sets_exit_code_and_names_the_file(tmp_path, corpus_copy):
    (corpus_copy / "kaputt.xml").write_text("<dokumente><norm>", encoding="utf-8")
    result = run_cli([str(corpus_copy), "--quiet"], make_settings(tmp_path / "data"))
    assert result.returncode == 1
    failed_lines = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed_lines) == 1 and "kaputt.xml" in failed_lines[0] and "broken XML" in failed_lines[0]


def test_stats_lists_sources_and_stand_of_each_law(tmp_path, corpus_copy):
    settings = make_settings(tmp_path / "data")
    run_cli([str(corpus_copy), "--quiet"], settings)
    result = run_cli(["stats", "--json"], settings)
    stats = json.loads(result.stdout)
    assert stats["by_kind"]["law"] > 0 and stats["by_kind"]["landtag"] > 0
    law = next(s for s in stats["sources"].values() if s["law"] == "RBSFV 2026")
    assert law["stand"] and law["fassung"]


KILLER = textwrap.dedent("""
    import os, signal, sys
    from index.writer import IndexWriter
    original = IndexWriter._upsert
    calls = {"n": 0}
    def upsert_then_die(self, *args, **kwargs):
        original(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == int(os.environ["KILL_AFTER_UPSERTS"]):
            os.kill(os.getpid(), signal.SIGKILL)
    IndexWriter._upsert = upsert_then_die
    import index.writer
    index.writer.EMBED_BATCH = 4  # several upserts per document, so the kill lands mid-document
    from ingest.cli import main
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.parametrize("kill_after", [1, 3, 6])
def test_killed_run_then_rerun_equals_clean_run(tmp_path, corpus_copy, kill_after):
    clean = make_settings(tmp_path / "clean")
    assert run_cli([str(corpus_copy), "--quiet"], clean).returncode == 0
    killed = make_settings(tmp_path / "killed")
    env = settings_env(killed)
    env["KILL_AFTER_UPSERTS"] = str(kill_after)
    died = subprocess.run([sys.executable, "-c", KILLER, str(corpus_copy), "--quiet"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert died.returncode == -signal.SIGKILL
    assert run_cli([str(corpus_copy), "--quiet"], killed).returncode == 0

    from index.writer import IndexWriter

    def snapshot(settings):
        index = IndexWriter(settings)
        return sorted(cid for cid, _, _ in index.iter_records(include=())), index.document_states()

    clean_ids, clean_states = snapshot(clean)
    killed_ids, killed_states = snapshot(killed)
    assert killed_ids == clean_ids
    assert {d: (s["sha256"], s["chunks"]) for d, s in killed_states.items()} == \
           {d: (s["sha256"], s["chunks"]) for d, s in clean_states.items()}
