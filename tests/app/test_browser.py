"""End to end in a real browser: `streamlit run app.py` on 127.0.0.1, driven by Playwright
through Debian's Chromium. Ask, see the marker, jump to the source card, find the
highlighted sentence, download the DOCX, save a screenshot (docs/screenshot.png for the README
when FUNDSTELLE_UPDATE_SCREENSHOT=1); and a hostile document that must neither execute nor link."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect, sync_playwright

from fundstelle.settings import REPO_ROOT
from tests.app.hostile import QUESTION as HOSTILE_QUESTION
from tests.app.hostile import build_hostile_index
from tests.conftest import free_port, settings_env, stop_process, wait_for_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NRW = "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
SENTENCE = "Messbare Zielgrößen im engeren Sinne wurden zu Beginn der Initiative nicht definiert"
# Generous: the first page load builds the assistant (embedding model) on a possibly busy CI machine.
LOAD_MS = 300_000
MARKER_TEXT = re.compile(r"^\[\d+\]$")


def start_app(settings, log_path: Path, extra_env: dict[str, str] | None = None):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO_ROOT, env={**settings_env(settings), **(extra_env or {})}, stdout=log_path.open("w"),
        stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, timeout=120, process=process)
    except Exception:
        process.kill()
        raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")
    return process, f"http://127.0.0.1:{port}/"


@pytest.fixture
def browser():
    assert Path(CHROMIUM).exists(), "Chromium is missing: run scripts/ensure-chromium.sh"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def ask(page, question: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.wait_for(timeout=LOAD_MS)
    box.fill(question)
    box.press("Enter")
    page.locator("[class*='st-key-actions-'], [class*='st-key-error-']").first.wait_for(timeout=LOAD_MS)


def test_answer_marker_card_highlight_docx_and_screenshot(core_index_settings, browser, tmp_path):
    server, url = start_app(core_index_settings, tmp_path / "streamlit.log")
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    try:
        page.goto(url)
        ask(page, NRW)
        answer = page.locator("[data-testid='stChatMessage']").nth(1)
        markers = answer.get_by_role("link", name=MARKER_TEXT)
        expect(markers.first).to_be_visible()

        # The card that holds the sentence, and the marker in the answer that points to it.
        highlighted = page.locator(".stMarkdownColoredBackground", has_text=SENTENCE)
        card = page.locator("[class*='st-key-card-']", has=highlighted)
        expect(card).to_have_count(1)
        anchor = card.locator("h3[id]").get_attribute("id")
        marker = answer.locator(f"a[href='#{anchor}']", has_text=MARKER_TEXT).first
        marker.click()
        expect(card).to_be_in_viewport()
        expect(highlighted).to_be_visible()
        expect(card).to_contain_text("Antwort auf Kleine Anfrage 5591, zu Frage 3")
        expect(card).to_contain_text("Landtag")
        expect(card.get_by_text("Original öffnen")).to_be_visible()

        # README screenshot: the question, the answer and the open card with its highlight.
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.evaluate("document.querySelector('[data-testid=\"stChatMessage\"]').scrollIntoView({block: 'start'})")
        shot = tmp_path / "screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if os.environ.get("FUNDSTELLE_UPDATE_SCREENSHOT"):   # refresh the README picture on request only
            shutil.copy(shot, REPO_ROOT / "docs" / "screenshot.png")

        button = answer.get_by_test_id("stDownloadButton").filter(has_text="Word (DOCX)")
        with page.expect_download(timeout=120_000) as download:
            button.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.suffix == ".docx"
        paragraphs = [p.text for p in Document(str(saved)).paragraphs]
        assert f"Frage 1: {NRW}" in paragraphs
        assert any(p.startswith("[") and "Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025)" in p
                   for p in paragraphs)
        assert any(SENTENCE in p for p in paragraphs)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)   # what the page showed
        raise
    finally:
        stop_process(server, timeout=30)


def test_hostile_document_neither_executes_nor_links(browser, tmp_path):
    settings = build_hostile_index(tmp_path)
    server, url = start_app(settings, tmp_path / "streamlit.log")
    dialogs: list[str] = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        ask(page, HOSTILE_QUESTION)
        main = page.locator("[data-testid='stMainBlockContainer']")
        expect(main).to_contain_text("<script>window.__xss = 1</script>")
        expect(main).to_contain_text("[hier](https://evil.example/phish)")
        assert page.evaluate("window.__xss") is None
        assert dialogs == []
        assert page.locator("a[href*='evil']").count() == 0
        assert page.locator("img[src='x'], img[src*='evil']").count() == 0
        assert page.locator("[data-testid='stMainBlockContainer'] script").count() == 0
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    finally:
        stop_process(server, timeout=30)
