"""End to end in a real browser: `streamlit run app.py` on 127.0.0.1, driven by Playwright
through Debian's Chromium. Ask, see the marker, jump to the source card, find the
highlighted sentence, download DOCX (real hyperlinks) and Markdown (plain [1]); five questions
sent without waiting, all answered in order; an over-long paste kept with the limit; the local
original of a Weisung opened as a PDF, nothing outside the corpus; no string of the other
language on either page; 20 sources kept compact. Screenshots for the README (docs/) when
FUNDSTELLE_UPDATE_SCREENSHOT=1. And a hostile document that must neither execute nor link."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from urllib.parse import urlencode

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from playwright.sync_api import expect, sync_playwright

from fundstelle.settings import REPO_ROOT
from tests.app.hostile import QUESTION as HOSTILE_QUESTION
from tests.app.hostile import build_hostile_index
from tests.app.ui_strings import foreign_strings, fragments
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
ANSWERED = "[class*='st-key-actions-'], [class*='st-key-error-']"
FURTHER = "[class*='st-key-more-pick-'] [data-testid='stRadioOption']"   # the labels of the passages not cited
QUESTION_FRAME = "iframe[title$='fundstelle_question_box']"


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


def question_box(page):
    """The question box's text area (the box is a component: it lives in its own frame)."""
    box = page.frame_locator(QUESTION_FRAME).locator("textarea")
    box.wait_for(timeout=LOAD_MS)
    return box


def submit(page, question: str) -> None:
    """Type a question and send it with Enter, without waiting for anything."""
    box = question_box(page)
    box.fill(question)
    box.press("Enter")


def ask(page, question: str) -> None:
    submit(page, question)
    page.locator(ANSWERED).first.wait_for(timeout=LOAD_MS)


@pytest.fixture(scope="module")
def core_app(core_index_settings, tmp_path_factory):
    """One app server on the core index for the tests of this module (each uses a new page,
    that is a new session)."""
    server, url = start_app(core_index_settings, tmp_path_factory.mktemp("core-app") / "streamlit.log")
    yield url
    stop_process(server, timeout=30)


def save_screenshot(page, tmp_path: Path, name: str) -> None:
    """A full-page picture; copied to docs/ when FUNDSTELLE_UPDATE_SCREENSHOT=1 (README pictures)."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("FUNDSTELLE_UPDATE_SCREENSHOT"):
        shutil.copy(shot, REPO_ROOT / "docs" / name)


def test_answer_marker_card_highlight_exports_and_screenshot(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    try:
        page.goto(core_app)
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
        save_screenshot(page, tmp_path, "screenshot.png")

        docx = download(page, answer, "Word (DOCX)", tmp_path)
        document = Document(str(docx))
        paragraphs = [p.text for p in document.paragraphs]
        assert f"Frage 1: {NRW}" in paragraphs
        assert any(p.startswith("Antwort auf Kleine Anfrage 5591, zu Frage 3 (Antwort vom 30.06.2025)")
                   for p in paragraphs)
        assert any(SENTENCE in p for p in paragraphs)
        sources = [p for p in document.paragraphs if p.style.name == "List Number"]
        links = [link.url for p in sources for link in p.hyperlinks]
        assert links and len(links) == len(sources)
        related = {rel.target_ref for rel in document.part.rels.values() if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK}
        assert set(links) <= related

        markdown = download(page, answer, "Markdown", tmp_path).read_text(encoding="utf-8")
        body = markdown.split("## Frage 1:")[1].split("### Quellen")[0]
        assert re.search(r"(?<!\\)\[1\]", body) and "\\[1\\]" not in markdown
        assert re.search(r"^1\. \S", markdown, re.M), "the sources are a numbered list"
        assert re.search(r"^\d+\. Antwort auf Kleine Anfrage 5591, zu Frage 3 ", markdown, re.M)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)   # what the page showed
        raise


def download(page, scope, label: str, tmp_path: Path) -> Path:
    button = scope.get_by_test_id("stDownloadButton").filter(has_text=label)
    with page.expect_download(timeout=120_000) as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


QUEUE = [NRW, "Ab wann gilt man als langzeitarbeitslos?", "Welche Kennzahlen werden nach § 48a SGB II verglichen?",
         "Wie hoch ist der Regelbedarf für Alleinstehende im Jahr 2026?",
         "Nach welchen Grundsätzen werden Leistungen zur Eingliederung erbracht?"]
# Records every state text the page ever showed (no timing: a MutationObserver sees each render).
SEEN_STATES = """() => { window.__seen = new Set();
  new MutationObserver(() => { for (const s of ['Wird beantwortet', 'Wartet']) {
      if (document.body.innerText.includes(s)) window.__seen.add(s); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


def test_five_questions_sent_without_waiting_are_all_answered_in_order(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(core_app)
        box = question_box(page)
        page.evaluate(SEEN_STATES)
        for question in QUEUE:        # one after another, waiting for nothing in between
            box.fill(question)
            box.press("Enter")
        expect(page.locator(ANSWERED)).to_have_count(len(QUEUE), timeout=LOAD_MS)
        expect(page.locator("[class*='st-key-pending-']")).to_have_count(0)
        messages = page.get_by_test_id("stChatMessage")
        expect(messages).to_have_count(2 * len(QUEUE))
        for index, question in enumerate(QUEUE):
            expect(messages.nth(2 * index)).to_have_text(re.compile(re.escape(question)))
            expect(messages.nth(2 * index + 1).locator(ANSWERED)).to_have_count(1)
        assert "Wird beantwortet" in page.evaluate("[...window.__seen]")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


LOADING = "Fundstelle lädt Suchindex und Modell"
# Installed before the page's own scripts: records whether the loading notice was ever shown,
# and whether the question box stood on the page at the same time.
SEEN_LOADING = """window.__loading = false; window.__box_while_loading = false;
new MutationObserver(() => {
  if (document.body && document.body.innerText.includes('%s')) {
    window.__loading = true;
    if (document.querySelector("%s")) window.__box_while_loading = true; } })
  .observe(document, {subtree: true, childList: true, characterData: true});""" % (LOADING, QUESTION_FRAME)


def test_first_page_of_a_new_server_takes_a_question_while_the_sources_load(core_index_settings, browser, tmp_path):
    """A server's first page shows the question box and a loading notice before the assistant
    is built; a question sent at once is answered when it is, and the notice goes away."""
    server, url = start_app(core_index_settings, tmp_path / "streamlit.log")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.add_init_script(SEEN_LOADING)
        page.goto(url)
        submit(page, NRW)           # as soon as the box is there
        page.locator(ANSWERED).first.wait_for(timeout=LOAD_MS)
        messages = page.get_by_test_id("stChatMessage")
        expect(messages.nth(0)).to_have_text(re.compile(re.escape(NRW)))
        expect(messages.nth(1)).to_contain_text("Kleine Anfrage 5591")
        assert page.evaluate("window.__loading") is True
        assert page.evaluate("window.__box_while_loading") is True
        expect(page.get_by_text(LOADING)).to_have_count(0)
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise
    finally:
        page.close()
        stop_process(server, timeout=30)


def test_over_long_paste_shows_the_limit_and_keeps_the_text(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    text = ("Ich beziehe Bürgergeld und frage mich, welche Kosten der Unterkunft übernommen werden. " * 40)[:3000]
    try:
        page.goto(core_app)
        box = question_box(page)
        box.fill(text)
        box.press("Enter")
        frame = page.frame_locator(QUESTION_FRAME)
        expect(frame.get_by_role("alert")).to_have_text(
            f"Die Frage ist zu lang ({len(' '.join(text.split()))} Zeichen, höchstens 2000). Bitte kürzer fassen.")
        expect(box).to_have_value(text)
        expect(page.get_by_test_id("stChatMessage")).to_have_count(0)   # nothing was asked

        box.fill(NRW)                  # shortened: the message goes, the question is asked
        expect(frame.get_by_role("alert")).to_be_hidden()
        frame.get_by_role("button", name="Frage senden").click()
        expect(page.locator(ANSWERED)).to_have_count(1, timeout=LOAD_MS)
        expect(page.get_by_test_id("stChatMessage").first).to_contain_text(NRW)
        expect(box).to_have_value("")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


WEISUNG = "ba_weisungen/sgb2/FW_SGB_II_Par_16_Stand_26_03_2025.pdf"


def test_original_opens_the_local_pdf_and_nothing_outside_the_corpus(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(core_app + "?" + urlencode({"q": QUEUE[4], "kinds": "ba"}))
        page.locator(ANSWERED).first.wait_for(timeout=LOAD_MS)
        card = page.locator("[class*='st-key-card-'], [class*='st-key-near-']").filter(has_text="FW § 16 SGB II").first
        original = card.get_by_role("link", name="Original öffnen")
        href = original.get_attribute("href")
        assert f"/corpus/{WEISUNG}#page=" in href
        assert card.get_by_role("link", name="Offizielle Quelle").get_attribute("href").startswith(
            "https://www.arbeitsagentur.de/")
        with page.context.expect_event("response", predicate=lambda r: "/corpus/" in r.url,
                                       timeout=60_000) as opened:
            original.click()
        response = opened.value
        assert response.url == href.split("#")[0]
        assert response.status == 200
        assert response.header_value("content-type") == "application/pdf"

        origin = href.split("/corpus/")[0]
        refused = browser.new_page().goto(f"{origin}/corpus/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd")
        assert refused.status == 403
        assert "root:" not in refused.text()
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


def test_german_page_shows_no_english_interface_string_and_english_no_german(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1200})
    app = page.get_by_test_id("stApp")
    try:
        page.goto(core_app)
        ask(page, NRW)
        page.locator(FURTHER).first.click()      # one further passage opened
        expect(page.locator("[class*='st-key-more-card-']")).to_have_count(1)
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").first.click()   # its options open
        expect(page.get_by_role("option").first).to_be_visible()
        german = app.inner_text()
        assert "Select all" not in german
        assert foreign_strings(german, "de") == []
        page.keyboard.press("Escape")

        page.get_by_test_id("stSidebar").get_by_text("English").click()
        expect(question_box(page)).to_have_attribute("placeholder", re.compile("^Your question"))
        expect(app).to_contain_text("Answers to export")        # the last part of the page is drawn
        for german_text in fragments("de"):   # (elements of the German run may linger while it redraws)
            expect(app).not_to_contain_text(german_text)
        assert foreign_strings(app.inner_text(), "en") == []
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.evaluate("document.querySelector('[data-testid=\"stChatMessage\"]').scrollIntoView({block: 'start'})")
        save_screenshot(page, tmp_path, "screenshot-en.png")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


def test_twenty_sources_stay_compact_until_one_is_opened(core_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    height = "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight"
    try:
        page.goto(core_app + "?" + urlencode({"q": NRW, "k": "20"}))
        page.locator(ANSWERED).first.wait_for(timeout=LOAD_MS)
        further = page.locator(FURTHER)
        further.first.wait_for(timeout=LOAD_MS)
        expect(page.get_by_role("link", name="Original öffnen").first).to_be_visible()
        cited = page.locator("[class*='st-key-card-']").count()
        assert further.count() + cited >= 15, "the question should bring many sources"
        closed = page.evaluate(height)
        assert closed < 3 * 1000, f"{closed}px with {cited} cited and {further.count()} further sources"
        further.nth(2).click()
        card = page.locator("[class*='st-key-more-card-']")
        expect(card).to_have_count(1)
        further.nth(3).click()
        expect(card).to_have_count(1)
        assert page.evaluate(height) > closed
        expect(card.get_by_text("Zitat kopieren")).to_have_count(1)   # the previous card's rest is gone
        card.scroll_into_view_if_needed()
        save_screenshot(page, tmp_path, "screenshot-source.png")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        raise


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
        hosts = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => new URL(a.href).hostname)")
        assert [host for host in hosts if "evil" in host] == []
        assert page.locator("img[src='x'], img[src*='evil']").count() == 0
        assert page.locator("[data-testid='stMainBlockContainer'] script").count() == 0
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
    finally:
        stop_process(server, timeout=30)
