"""First-run benchmark: from the README's start command on an empty data folder to the first
cited answer in the app, and to a complete hybrid index.

    python bench/first_run.py [--data DIR] [--timeout-minutes 40] [--out bench-results/first_run.json]

Runs ``bash scripts/start.sh`` (what ``make run`` runs) with ``FUNDSTELLE_DATA`` pointing at an
empty folder (a temporary one by default), after ``scripts/bootstrap.sh`` so that install
time is excluded. Then, in Chromium (Playwright), it asks the NRW initiative question as soon
as the page takes questions and measures, from the start command:

* keyword index ready (the start script's ``python -m ingest --no-embed`` finished);
* page ready (the question box shown);
* first answer on screen with a cited passage, and which retrievers produced it;
* dense index complete ("Semantische Suche bereit." shown by the app's status box), the
  sentence vectors complete (its "Satzvektoren: … %" line gone), and
  the same question answered again through hybrid retrieval.

Run it in a fresh clone (``git clone``, ``ln -s …/shared ../shared``, ``make install``) to
measure exactly what a new user gets; the embedding cache lives in the data folder, so an
empty folder means every passage is embedded for real.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import commit, emit, machine  # noqa: E402
from bench.app import CHROMIUM_ARGS  # noqa: E402
from bench.app import FIRST_QUESTION as QUESTION  # noqa: E402
from fundstelle.net import free_port, stop_process  # noqa: E402

ACTIONS = "[class*='st-key-actions-']"
CARD = "[class*='st-key-card-']"
META = re.compile(r"(Suche|Search): ([^·]+?) ·")   # "Suche: semantisch + Stichwort ·"


class OutputWatcher:
    """Reads the start script's output, keeps it in a log file and notes when lines appear."""

    def __init__(self, process: subprocess.Popen, log_path: Path, started: float) -> None:
        self.seen: dict[str, float] = {}
        self.lines: list[str] = []
        self._started = started
        self._log = log_path.open("w")
        self._thread = threading.Thread(target=self._run, args=(process,), daemon=True)
        self._thread.start()

    def _run(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._log.write(line)
            self._log.flush()
            self.lines.append(line)
            for marker in ("Keyword search ready", "You can now view your Streamlit app", "Local URL"):
                if marker in line and marker not in self.seen:
                    self.seen[marker] = time.perf_counter() - self._started


def wait_for_answers(page, count: int, timeout_s: float = 600.0) -> None:
    """Until ``count`` distinct answers are on the page. While Streamlit re-renders, the old
    elements of a turn can be shown twice, so answers are told apart by their turn key."""
    deadline = time.monotonic() + timeout_s
    script = """() => new Set([...document.querySelectorAll("[class*='st-key-actions-']")]
        .map(e => [...e.classList].find(c => c.startsWith('st-key-actions-')))).size"""
    while page.evaluate(script) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer number {count} after {timeout_s:.0f} s")
        time.sleep(0.1)
    page.wait_for_timeout(500)   # let the rerun that follows an answer settle


def latest_retrievers(page) -> str:
    """The retrievers the newest answer on the page reports ("Suche: dense + bm25")."""
    captions = page.get_by_text(META).all_inner_texts()
    match = META.search(captions[-1]) if captions else None
    return match.group(2).strip() if match else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--data", type=Path, help="empty data folder to use (default: a temporary folder)")
    parser.add_argument("--timeout-minutes", type=float, default=40.0, help="give up on the complete index after this")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--first-answer-only", action="store_true",
                        help="stop after the first answer (do not wait for the complete dense index)")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results" / "first_run.json")
    args = parser.parse_args(argv)

    from playwright.sync_api import expect, sync_playwright

    subprocess.run(["bash", "scripts/bootstrap.sh"], cwd=REPO, check=True)   # install time excluded
    data = args.data or Path(tempfile.mkdtemp(prefix="fundstelle-first-run-"))
    data.mkdir(parents=True, exist_ok=True)
    if any(data.iterdir()):
        parser.error(f"{data} is not empty; the first run needs an empty data folder")
    port = free_port()
    env = {**os.environ, "FUNDSTELLE_DATA": str(data), "FUNDSTELLE_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    args.out.parent.mkdir(parents=True, exist_ok=True)   # a fresh clone has no bench-results/ yet
    started = time.perf_counter()
    process = subprocess.Popen(["bash", "scripts/start.sh"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    watcher = OutputWatcher(process, (args.out.parent / "first_run-start.log"), started)
    result: dict = {"question": QUESTION}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            url = f"http://127.0.0.1:{port}/"
            while True:   # the server comes up after the keyword index is built
                if process.poll() is not None:
                    raise RuntimeError("the start command ended:\n" + "".join(watcher.lines[-30:]))
                try:
                    page.goto(url, timeout=5000)
                    break
                except Exception:
                    time.sleep(0.5)
            # The question box is a component: its text area lives in the component's own frame.
            box = page.frame_locator("iframe[title$='fundstelle_question_box']").locator("textarea")
            box.wait_for(timeout=600_000)
            result["page_ready_s"] = round(time.perf_counter() - started, 1)
            box.fill(QUESTION)
            box.press("Enter")
            wait_for_answers(page, 1)
            answer = page.locator("[data-testid='stChatMessage']", has=page.locator(ACTIONS)).last
            expect(answer.locator(CARD).first).to_be_visible(timeout=60_000)
            result["first_answer_s"] = round(time.perf_counter() - started, 1)
            text = answer.inner_text()
            result["first_answer_cites"] = [line for line in text.splitlines() if "Kleine Anfrage" in line][:3]
            result["first_answer_retrievers"] = latest_retrievers(page)

            if args.first_answer_only:
                raise _Done()
            ready = page.get_by_text(re.compile(r"Semantische Suche bereit|Semantic search ready"))
            expect(ready).to_be_visible(timeout=int(args.timeout_minutes * 60_000))
            result["dense_complete_s"] = round(time.perf_counter() - started, 1)
            # The sentence vectors follow each embedding call's chunk vectors; the status box
            # shows their share until every chunk has them.
            building = page.get_by_text(re.compile(r"Satzvektoren: \d|Sentence vectors: \d"))
            expect(building).to_have_count(0, timeout=int(args.timeout_minutes * 60_000))
            result["sentences_complete_s"] = round(time.perf_counter() - started, 1)
            box.fill(QUESTION)
            box.press("Enter")
            wait_for_answers(page, 2)
            result["hybrid_answer_retrievers"] = latest_retrievers(page)
            page.screenshot(path=str(args.out.parent / "first_run.png"), full_page=True)
            result["hybrid_answer_s"] = round(time.perf_counter() - started, 1)
            browser.close()
    except _Done:
        pass
    finally:
        stop_process(process, timeout=30)
    result["keyword_index_ready_s"] = round(watcher.seen.get("Keyword search ready", 0.0), 1)
    chunks = re.search(r"(\d+) chunks in the index", "".join(watcher.lines))
    result["chunks"] = int(chunks.group(1)) if chunks else None
    if not args.data and not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    data_out = {"benchmark": "first_run", "commit": commit(), "machine": machine(), **result,
                "goal_first_answer_s": 60}
    rows = [("keyword index ready (s)", result["keyword_index_ready_s"]),
            ("page ready (s)", result["page_ready_s"]),
            ("first cited answer (s)", result["first_answer_s"]),
            ("  retrievers", result["first_answer_retrievers"]),
            ("dense index complete (s)", result.get("dense_complete_s", "not measured")),
            ("sentence vectors complete (s)", result.get("sentences_complete_s", "not measured")),
            ("hybrid answer (s)", result.get("hybrid_answer_s", "not measured")),
            ("  retrievers", result.get("hybrid_answer_retrievers", "–")),
            ("chunks", result["chunks"])]
    emit("First run: start command -> first cited answer -> complete hybrid index", rows, data_out, args.out)
    return 0


class _Done(Exception):
    """--first-answer-only: the measurement ends after the first answer."""


if __name__ == "__main__":
    sys.exit(main())
