"""`python -m ingest fetch`: real HTTP against a local http.server serving the mirror."""
from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading

import pytest

from fundstelle.settings import REPO_ROOT
from ingest.catalogue import Catalogue, CatalogueError, CatalogueSource, load_catalogue
from ingest.fetch import fetch_catalogue
from tests.conftest import make_settings, settings_env


@pytest.fixture
def mirror_server(tmp_path, corpus_dir):
    """Serve a copy of part of the corpus over HTTP on 127.0.0.1 (a real http.server)."""
    root = tmp_path / "mirror"
    for rel in ["sgb2/rbsfv_2026/BJNR0F30B0025.xml", "sgb2/gii_stand_2025-02-27/sgb_2_xml.zip",
                "landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus_dir / rel, root / rel)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "root": root}
    server.shutdown()


@pytest.mark.slow
def test_fetch_from_mirror_downloads_and_verifies(tmp_path, mirror_server):
    settings = make_settings(tmp_path / "data", corpus=tmp_path / "fetched")
    only = ["rbsfv-2026", "landtag-nrw-18-ka-5591-antwort"]
    cmd = [sys.executable, "-m", "ingest", "fetch", "--base-url", mirror_server["url"]] + \
          [arg for source in only for arg in ("--only", source)]
    first = subprocess.run(cmd, cwd=REPO_ROOT, env=settings_env(settings), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 downloaded" in first.stdout
    assert (tmp_path / "fetched/sgb2/rbsfv_2026/BJNR0F30B0025.xml").read_bytes() == \
           (mirror_server["root"] / "sgb2/rbsfv_2026/BJNR0F30B0025.xml").read_bytes()
    second = subprocess.run(cmd, cwd=REPO_ROOT, env=settings_env(settings), capture_output=True, text=True, timeout=120)
    assert "2 present" in second.stdout


def test_fetch_unpacks_the_official_zip_member(tmp_path, mirror_server, corpus_dir):
    """The official download is a zip; the catalogue's member is extracted and verified."""
    catalogue = load_catalogue(make_settings(tmp_path / "d").catalogue)
    entry = catalogue.get("sgb2-2025-02-27")
    local = CatalogueSource(**{**entry.__dict__,
                               "download_url": mirror_server["url"] + "/sgb2/gii_stand_2025-02-27/sgb_2_xml.zip"})
    results = fetch_catalogue(Catalogue([local]), tmp_path / "fetched")
    assert [r.status for r in results] == ["downloaded"]
    assert (tmp_path / "fetched" / entry.path).read_bytes() == (corpus_dir / entry.path).read_bytes()


def test_changed_official_file_is_reported(tmp_path, mirror_server):
    (mirror_server["root"] / "sgb2/rbsfv_2026/BJNR0F30B0025.xml").write_text("<dokumente/>", encoding="utf-8")
    catalogue = load_catalogue(make_settings(tmp_path / "d").catalogue)
    results = fetch_catalogue(catalogue, tmp_path / "fetched", base_url=mirror_server["url"], only={"rbsfv-2026"})
    assert results[0].status == "changed" and "sha256 differs" in results[0].message


def test_unreachable_server_fails_cleanly(tmp_path):
    catalogue = load_catalogue(make_settings(tmp_path / "d").catalogue)
    results = fetch_catalogue(catalogue, tmp_path / "fetched", base_url="http://127.0.0.1:9", only={"rbsfv-2026"},
                              timeout=5)
    assert results[0].status == "failed" and "127.0.0.1:9" in results[0].message
    assert not (tmp_path / "fetched" / "sgb2").exists(), "nothing half-written"


def test_catalogue_lists_every_corpus_file_with_its_checksum(corpus_dir):
    catalogue = load_catalogue(REPO_ROOT / "corpus" / "sources.toml")
    for source in catalogue.sources:
        assert source.official_url.startswith("https://")
        if source.optional:
            continue
        digest = hashlib.sha256((corpus_dir / source.path).read_bytes()).hexdigest()
        assert digest == source.sha256, source.id
    assert {s.kind for s in catalogue.sources} == {"law", "landtag", "ba"}


def test_malformed_catalogue_names_the_entry(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nid = "x"\nkind = "law"\n', encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(bad)
    assert "source #1 lacks" in str(error.value) and "path" in str(error.value)
