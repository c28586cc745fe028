"""App benchmark: the user's view of speed, through the real UI path.

    python bench/app.py [--questions 19] [--gold ../shared/eval/dev.jsonl] [--out bench-results/app.json]

Starts ``streamlit run app.py`` headless on 127.0.0.1 (settings from FUNDSTELLE_*, as
``make run``), opens it in Chromium (Playwright) and measures

* server start -> page ready (the question box shown; the assistant with model, Chroma and
  BM25 is built on the first page load, behind a loading notice);
* server start -> first answer on screen (the NRW initiative question);
* per-question latency: question submitted -> answer (or abstention) rendered, for a few
  dev questions, with the ``Assistant.ask`` time the app reports beside it, so the UI
  overhead (render, rerun, websocket) is the difference;
* the app server's resident memory after those questions (20 with the defaults).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import commit, emit, machine  # noqa: E402
from fundstelle.net import free_port, stop_process, wait_for_port  # noqa: E402

FIRST_QUESTION = "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# The last answer (or error) block of the conversation: rendered once the answer is complete.
DONE = "[class*='st-key-actions-'], [class*='st-key-error-']"
# The question box is a component: its text area lives in the component's own frame.
QUESTION_FRAME = "iframe[title$='fundstelle_question_box']"
ASK_TIME_SHOWN = """() => {
  const messages = document.querySelectorAll("[data-testid='stChatMessage']");
  return messages.length > 0 && /\\d+ ms/.test(messages[messages.length - 1].innerText);
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def start_server(port: int, log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=dict(os.environ), stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def process_tree_rss_mb(pid: int) -> float:
    """Resident memory of the app server and its children (MB)."""
    import psutil

    process = psutil.Process(pid)
    return round((process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True)))
                 / 2**20, 1)


def ask_in_page(page, question: str, answered_before: int, timeout_ms: int) -> tuple[float, float | None]:
    """Submit ``question``; seconds until its answer is on screen, and the ask time the app reports."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.frame_locator(QUESTION_FRAME).locator("textarea")
    box.fill(question)
    started = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({json.dumps(DONE)}).length > {answered_before}",
                           timeout=timeout_ms)
    elapsed = time.perf_counter() - started
    try:
        # The caption with the ask time is drawn just after the actions row and may reach the
        # browser in a later message.
        page.wait_for_function(ASK_TIME_SHOWN, timeout=5000)
    except PlaywrightTimeout:
        pass                      # an error block has no ask time
    last = page.locator("[data-testid='stChatMessage']").last.inner_text()
    reported = re.search(r"(\d+) ms", last)
    return elapsed, (float(reported.group(1)) / 1000 if reported else None)


def main() -> int:
    from fundstelle.settings import Settings

    settings = Settings()
    default_gold = settings.corpus.parent / "eval" / "dev.jsonl"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=default_gold, help="dev questions (JSONL with 'question')")
    parser.add_argument("--questions", type=int, default=19,
                        help="how many dev questions to time after the first (19: the app's memory after 20)")
    parser.add_argument("--out", type=Path, default=Path("bench-results/app.json"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for any one step")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    # German answerable questions first: the common case; then whatever else to fill up.
    ordered = sorted(rows, key=lambda r: (r.get("lang") != "de", not r.get("answerable", True)))
    questions = [r["question"] for r in ordered if r["question"] != FIRST_QUESTION][:args.questions]

    from playwright.sync_api import sync_playwright

    port = free_port()
    timeout_ms = int(args.timeout * 1000)
    with sync_playwright() as playwright:
        # The user's browser is open before the server starts: its own start-up is not the app's.
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        started = time.perf_counter()
        server = start_server(port, args.out.parent / "app-server.log")
        try:
            wait_for_port(port, timeout=args.timeout, process=server)
            listening = time.perf_counter() - started
            page.goto(f"http://127.0.0.1:{port}/", timeout=timeout_ms)
            page.frame_locator(QUESTION_FRAME).locator("textarea").wait_for(timeout=timeout_ms)
            ready = time.perf_counter() - started
            first_latency, first_reported = ask_in_page(page, FIRST_QUESTION, 0, timeout_ms)
            first_answer = time.perf_counter() - started
            per_question = []
            for index, question in enumerate(questions, start=1):
                elapsed, reported = ask_in_page(page, question, index, timeout_ms)
                per_question.append({"question": question, "ui_s": round(elapsed, 3),
                                     "ask_s": round(reported, 3) if reported is not None else None})
            server_rss = process_tree_rss_mb(server.pid)
        finally:
            stop_process(server, timeout=30)
        browser.close()
    ui = [q["ui_s"] for q in per_question]
    overhead = [q["ui_s"] - q["ask_s"] for q in per_question if q["ask_s"] is not None]
    data = {"machine": machine(), "commit": commit(), "settings": json.loads(settings.model_dump_json()),
            "server_listening_s": round(listening, 2), "page_ready_s": round(ready, 2),
            "first_answer_s": round(first_answer, 2), "first_question_ui_s": round(first_latency, 3),
            "first_question_ask_s": first_reported, "questions": per_question,
            "ui_p50_s": round(percentile(ui, 0.5), 3), "ui_p95_s": round(percentile(ui, 0.95), 3),
            "ui_overhead_p50_s": round(percentile(overhead, 0.5), 3),
            "server_rss_after_questions_mb": server_rss}
    table = [("server start -> listening", f"{listening:.1f} s"),
             ("server start -> page ready (question box shown)", f"{ready:.1f} s"),
             ("server start -> first answer on screen", f"{first_answer:.1f} s"),
             ("first question, submit -> answer", f"{first_latency:.2f} s"),
             (f"per question through the UI, p50 ({len(ui)} dev questions)", f"{data['ui_p50_s']:.2f} s"),
             ("per question through the UI, p95", f"{data['ui_p95_s']:.2f} s"),
             ("UI overhead over Assistant.ask, p50", f"{data['ui_overhead_p50_s']:.2f} s"),
             (f"app server RSS after {len(ui) + 1} questions", f"{server_rss:.0f} MB")]
    table += [(f"  {q['question'][:60]}", f"{q['ui_s']:.2f} s (ask {q['ask_s']} s)") for q in per_question]
    emit("Fundstelle app (streamlit run app.py, Chromium)", table, data, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
