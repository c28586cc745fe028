"""Errors that stop one document, never the batch. ``str(error)`` is one line naming the file."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A document cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = " ".join(str(reason).split())
        super().__init__(f"{self.path}: {self.reason}")


class NeedsOCRError(IngestError):
    """A PDF without a text layer (scanned pages)."""
