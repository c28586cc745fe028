"""The read-only file route to the source documents: a real PDF of the corpus comes back as a
PDF; nothing outside the corpus folder is served, however the path is spelled."""
from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from app_support.originals import OriginalsServer, local_url

WEISUNG = "ba_weisungen/sgb2/FW_SGB_II_Par_16_Stand_26_03_2025.pdf"


@pytest.fixture
def corpus(tmp_path, corpus_dir) -> Path:
    """A corpus folder with one real Weisung PDF, an HTML document, a secret beside the folder
    and a symlink that points out of it."""
    root = tmp_path / "corpus"
    (root / "ba_weisungen" / "sgb2").mkdir(parents=True)
    (root / WEISUNG).write_bytes((corpus_dir / WEISUNG).read_bytes())
    (root / "seite.html").write_text("<script>alert(1)</script>Text", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("geheim", encoding="utf-8")
    (root / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def server(corpus):
    instance = OriginalsServer(corpus).start()
    yield instance
    instance.shutdown()
    instance.server_close()


def get(server: OriginalsServer, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_a_weisung_pdf_comes_back_as_a_pdf(server, corpus):
    response = get(server, "/corpus/" + WEISUNG)
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/pdf"
    assert response.body == (corpus / WEISUNG).read_bytes()


@pytest.mark.parametrize("path", ["/corpus/../secret.txt", "/corpus/..%2fsecret.txt", "/corpus/%2e%2e/secret.txt",
                                  "/corpus/ba_weisungen/../../secret.txt", "/corpus/link-out.txt",
                                  "/corpus//etc/passwd", "/corpus/%2Fetc%2Fpasswd"])
def test_nothing_outside_the_corpus_folder_is_served(server, path):
    response = get(server, path)
    assert response.status in (403, 404)
    assert b"geheim" not in response.body and b"root:" not in response.body


def test_a_path_that_leaves_the_folder_is_refused_not_just_missing(server):
    assert get(server, "/corpus/..%2fsecret.txt").status == 403


def test_only_the_corpus_route_exists(server):
    assert get(server, "/" + WEISUNG).status == 404
    assert get(server, "/corpus/").status in (403, 404)


def test_writing_is_not_possible(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("PUT", "/corpus/neu.txt", body=b"x")
    assert connection.getresponse().status == 501
    connection.close()


def test_a_document_in_html_runs_no_script(server):
    response = get(server, "/corpus/seite.html")
    assert response.status == 200
    assert "sandbox" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"


def test_link_opens_a_pdf_at_the_cited_page():
    assert local_url("127.0.0.1", 8600, WEISUNG, 54) == f"http://127.0.0.1:8600/corpus/{WEISUNG}#page=54"
    assert local_url("127.0.0.1", 8600, "landtag/Antwort 5591.txt", 2) == (
        "http://127.0.0.1:8600/corpus/landtag/Antwort%205591.txt")


def test_absolute_source_paths_get_no_local_link():
    assert local_url("127.0.0.1", 8600, "/tmp/outside.pdf", 1) == ""
