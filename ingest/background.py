"""The background embedder: builds the dense index while the app already answers.

After a fresh start the chunk store and the BM25 index exist within seconds, the
embeddings (each chunk's vector, then its sentences' vectors) take minutes. ``BackgroundEmbedder`` runs ``IndexWriter.embed_pending`` in a
daemon thread of the app process, so the app's own Chroma client sees every new vector
(an embedded Chroma folder is not shared safely between processes). It is resumable (a
killed process leaves whole records; the next start embeds the rest) and idempotent with
``python -m ingest``. A lock file keeps two embedders, in any process, from running at once.

``hold_while_requested`` lets tests (and maintenance) pause the embedder between batches:
while ``settings.embed_hold_file`` exists and ``embed_hold_after`` chunks are done, it waits.
"""
from __future__ import annotations

import atexit
import fcntl
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from fundstelle.settings import Settings
from index.stopping import EmbeddingStopped

log = logging.getLogger(__name__)

HOLD_POLL_SECONDS = 0.1
# Longest pause for questions in flight, so a stream of questions cannot stall the build.
YIELD_MAX_SECONDS = 30.0
# Before it loads its model, the embedder lets a just-opened page send its first question.
START_GRACE_SECONDS = 1.0
# At interpreter exit the embedder is stopped after its batch and joined: a daemon thread still
# inside torch when Python finalises is ended by a forced unwind through torch's C++ frames,
# which aborts the process ("terminate called without an active exception", exit status 134).
STOP_AT_EXIT_SECONDS = 60.0
# A model still being imported when the interpreter begins to exit fails ("can't register atexit
# after shutdown") a moment before the exit handler asks the thread to stop: a failure is reported
# only when no stop request follows within this time.
EXIT_NOTICE_SECONDS = 5.0


class EmbedderBusyError(RuntimeError):
    """Another process is embedding into this index right now."""


class EmbedderLock:
    """An exclusive, non-blocking lock on ``<data>/embedder-<collection>.lock`` (released on exit,
    also when the process is killed)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.data / f"embedder-{settings.collection}.lock"
        self._file = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise EmbedderBusyError(f"another process is embedding into this index ({self.path})") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "EmbedderLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold_while_requested(settings: Settings, done: int, on_hold: Callable[[], None] | None = None,
                         stop: threading.Event | None = None) -> None:
    """Wait while the hold file exists (after ``embed_hold_after`` chunks)."""
    hold = settings.embed_hold_file
    if hold is None or done < settings.embed_hold_after:
        return
    announced = False
    while Path(hold).exists() and not (stop and stop.is_set()):
        if not announced:
            log.info("embedder held by %s after %d chunks", hold, done)
            if on_hold:
                on_hold()
            announced = True
        time.sleep(HOLD_POLL_SECONDS)


@dataclass
class EmbedderStatus:
    state: str = "idle"        # idle | running | held | done | busy (another process) | failed
    embedded: int = 0          # chunks embedded by this run
    total: int = 0             # chunks that had no embedding when the run started
    current: str = ""          # document being embedded
    sentences_done: int = 0    # chunks whose sentence vectors are stored (index.sentence_vectors)
    sentences_total: int = 0   # chunks in the store
    error: str = ""
    seconds: float = 0.0


class BackgroundEmbedder:
    """One per process and index; ``start`` is idempotent."""

    def __init__(self, settings: Settings, yield_to: Callable[[], bool] | None = None) -> None:
        self.settings = settings
        # Returns True while questions are being answered: the embedder waits between batches.
        self.yield_to = yield_to
        self.status = EmbedderStatus()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stops_at_exit = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start embedding unless a run is going on; True when a thread was started."""
        with self._lock:
            if self.running:
                return False
            self._stop.clear()
            self.status = EmbedderStatus(state="running")
            self._thread = threading.Thread(target=self._run, name="fundstelle-embedder", daemon=True)
            self._thread.start()
            if not self._stops_at_exit:
                atexit.register(self.stop, STOP_AT_EXIT_SECONDS)
                self._stops_at_exit = True
            return True

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current batch (what is written stays; the next start resumes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> EmbedderStatus:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status

    def _run(self) -> None:
        from index.writer import IndexWriter

        started = time.perf_counter()
        lock = EmbedderLock(self.settings)
        try:
            lock.acquire()
        except EmbedderBusyError as exc:
            log.info("%s", exc)
            self.status.state = "busy"
            return
        try:
            # Questions first: loading the ingest model (torch) takes seconds of both cores, and
            # on a fresh start the page's first question is usually on its way.
            self._stop.wait(START_GRACE_SECONDS)
            self._yield_to_questions()
            if self._stop.is_set():
                raise _Stopped()
            # Its own index handle and model instance: questions asked meanwhile never wait
            # for a batch to finish on a shared model lock.
            index = IndexWriter(self.settings)

            def before_batch(done: int) -> None:
                if self._stop.is_set():
                    raise _Stopped()
                hold_while_requested(self.settings, done, on_hold=lambda: setattr(self.status, "state", "held"),
                                     stop=self._stop)
                if self._stop.is_set():
                    raise _Stopped()
                self._yield_to_questions()
                self.status.state = "running"

            def on_progress(done: int, total: int, doc_id: str) -> None:
                self.status.embedded, self.status.total, self.status.current = done, total, doc_id

            def on_failure(doc_id: str, exc: BaseException) -> bool:
                if isinstance(exc, _Stopped):
                    return False
                log.error("background embedding of %s failed", doc_id, exc_info=exc)
                self.status.error = f"{doc_id}: {type(exc).__name__}: {str(exc)[:160]}"
                return True

            def on_sentences(done: int, total: int) -> None:
                self.status.sentences_done, self.status.sentences_total = done, total

            on_sentences(*index.sentence_progress())
            result = index.embed_pending(before_batch=before_batch, on_progress=on_progress, on_failure=on_failure,
                                         on_sentences=on_sentences)
            self.status.total = max(self.status.total, result.total)
            self.status.state = "failed" if result.failed else "done"
            log.info("background embedding finished: %d chunks, sentence vectors of %d chunks in %.0f s",
                     result.embedded, result.sentence_chunks, time.perf_counter() - started)
        except _Stopped:
            self.status.state = "idle"
        except Exception as exc:  # the app keeps answering by keywords; the log has the details
            if self._stop.wait(EXIT_NOTICE_SECONDS):
                log.info("background embedding stopped at exit (%s: %s)", type(exc).__name__, str(exc)[:160])
                self.status.state = "idle"
                return
            log.exception("background embedding stopped")
            self.status.state = "failed"
            self.status.error = f"{type(exc).__name__}: {str(exc)[:160]}"
        finally:
            self.status.seconds = time.perf_counter() - started
            lock.release()

    def _yield_to_questions(self) -> None:
        """Wait while questions are being answered (at most ``YIELD_MAX_SECONDS``)."""
        waited = time.monotonic()
        while self.yield_to and self.yield_to() and time.monotonic() - waited < YIELD_MAX_SECONDS:
            time.sleep(HOLD_POLL_SECONDS)


class _Stopped(EmbeddingStopped):
    pass
