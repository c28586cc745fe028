"""Logging: one clear line on the console, details (tracebacks) in the log file."""
from __future__ import annotations

import logging
from pathlib import Path


def setup_logging(log_file: Path | None, level: str = "INFO", console_level: str = "WARNING") -> None:
    root = logging.getLogger()
    if getattr(root, "_fundstelle_configured", False):
        return
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(log_file, encoding="utf-8")
            handler.setLevel(level)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
        except OSError:
            pass  # read-only data folder: console logging still works
    for noisy in ("httpx", "chromadb", "urllib3", "sentence_transformers", "transformers", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._fundstelle_configured = True  # type: ignore[attr-defined]
