"""Progressive start in a real browser: right after `python -m ingest --no-embed` the app
answers from the keyword index with a cited passage while its background embedder is held
back (a hold file, not a timing race); once the hold is lifted and the dense index is
complete, the same app process answers through hybrid retrieval."""
from __future__ import annotations

import pytest

import subprocess
import sys

from playwright.sync_api import expect

from fundstelle.settings import REPO_ROOT
from index.chunk_index import ChunkIndex
from tests.app.test_browser import LOAD_MS, NRW, browser, start_app, submit  # noqa: F401  (fixture)
from tests.conftest import make_settings, settings_env, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FILES = ["landtag/NRW_18_KA_5591_Antwort_Arbeitsmarkt-Integration.txt", "sgb2/rbsfv_2026/BJNR0F30B0025.xml"]
ANSWERS = "[data-testid='stChatMessage']"
ACTIONS = "[class*='st-key-actions-']"


def ask_and_wait(page, question: str, answers_before: int) -> None:
    submit(page, question)
    expect(page.locator(ACTIONS)).to_have_count(answers_before + 1, timeout=LOAD_MS)


def test_answers_by_keywords_while_held_then_hybrid_in_same_process(browser, tmp_path, corpus_dir):  # noqa: F811
    settings = make_settings(tmp_path / "data")
    read = subprocess.run([sys.executable, "-m", "ingest", *[str(corpus_dir / f) for f in FILES], "--no-embed",
                           "--quiet"], cwd=REPO_ROOT, env=settings_env(settings), capture_output=True, text=True,
                          timeout=600)
    assert read.returncode == 0, read.stderr
    embedded, total = ChunkIndex(settings).dense_progress()
    assert embedded == 0 and total > 0, "--no-embed must leave the dense index empty"

    hold = tmp_path / "hold-embedder"
    hold.touch()
    server, url = start_app(settings, tmp_path / "streamlit.log", {"FUNDSTELLE_EMBED_HOLD_FILE": str(hold)})
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(url)
        ask_and_wait(page, NRW, 0)
        first = page.locator(ANSWERS, has=page.locator(ACTIONS)).last
        expect(first.locator("[class*='st-key-card-']").filter(
            has_text="Antwort auf Kleine Anfrage 5591").first).to_be_visible()
        expect(first).to_contain_text("nur auf die Stichwortsuche")
        expect(first).to_contain_text("Suche: Stichwort ·")
        expect(page.get_by_text("Semantische Suche angehalten bei 0 %")).to_be_visible(timeout=30_000)

        hold.unlink()   # let the background embedder run to the end
        expect(page.get_by_text("Semantische Suche bereit.")).to_be_visible(timeout=LOAD_MS)

        ask_and_wait(page, NRW, 1)
        second = page.locator(ANSWERS, has=page.locator(ACTIONS)).last
        expect(second).to_contain_text("Suche: semantisch + Stichwort")
        expect(second).not_to_contain_text("Stichwortsuche")
        expect(second.locator("[class*='st-key-card-']").filter(
            has_text="Antwort auf Kleine Anfrage 5591").first).to_be_visible()
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise
    finally:
        stop_process(server, timeout=30)
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()
