"""Feedback on answers: thumbs up/down with an optional reason, stored in SQLite in the data
folder with everything needed to judge it later (question, answer, citations, settings).

    store = FeedbackStore.for_settings(settings)
    row = store.record(answer, rating=1, answer_id="…")     # a second click updates the row
    store.set_reason(row, "Quelle passt nicht")
    export_jsonl(settings, sys.stdout)                       # `python -m evaluation feedback`
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterator

from fundstelle.settings import Settings
from retrieval.answer import Answer

FILE_NAME = "feedback.sqlite"
MAX_REASON_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (0, 1)),
    reason TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    mode TEXT NOT NULL,
    model TEXT NOT NULL,
    citations_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    answer_json TEXT NOT NULL
)
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore:
    """One SQLite file; safe to use from several Streamlit sessions (threads) at once."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_settings(cls, settings: Settings) -> "FeedbackStore":
        return cls(settings.data / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.row_factory = sqlite3.Row
        connection.execute(_SCHEMA)
        return connection

    def record(self, answer: Answer, rating: int, answer_id: str, reason: str = "") -> int:
        """Store (or replace) the rating of one answer; 1 = helpful, 0 = not. Returns the row id."""
        if rating not in (0, 1):
            raise ValueError("rating must be 0 (thumbs down) or 1 (thumbs up)")
        citations = [{"number": c.number, "label": c.label, "kind": c.kind, "title": c.title, "stand": c.stand,
                      "page": c.page, "url": c.url, "chunk_id": c.chunk_id} for c in answer.citations]
        now = _now()
        values = {"answer_id": answer_id, "created": now, "updated": now, "rating": rating,
                  "reason": reason[:MAX_REASON_CHARS], "question": answer.question, "answer_text": answer.text,
                  "abstained": int(answer.abstained), "mode": answer.mode, "model": answer.model or "",
                  "citations_json": json.dumps(citations, ensure_ascii=False),
                  "settings_json": json.dumps(answer.settings, ensure_ascii=False, default=str),
                  "answer_json": answer.to_json()}
        with self._lock, closing(self._connect()) as connection, connection:
            connection.execute(
                "INSERT INTO feedback (answer_id, created, updated, rating, reason, question, answer_text, abstained,"
                " mode, model, citations_json, settings_json, answer_json) VALUES (:answer_id, :created, :updated,"
                " :rating, :reason, :question, :answer_text, :abstained, :mode, :model, :citations_json,"
                " :settings_json, :answer_json) ON CONFLICT(answer_id) DO UPDATE SET rating = excluded.rating,"
                " updated = excluded.updated, reason = CASE WHEN excluded.reason != '' THEN excluded.reason"
                " ELSE feedback.reason END", values)
            row = connection.execute("SELECT id FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
        return int(row["id"])

    def set_reason(self, answer_id: str, reason: str) -> bool:
        """Add the free-text reason to a rating; False when the answer has no rating yet."""
        with self._lock, closing(self._connect()) as connection, connection:
            cursor = connection.execute("UPDATE feedback SET reason = ?, updated = ? WHERE answer_id = ?",
                                        (reason.strip()[:MAX_REASON_CHARS], _now(), answer_id))
        return cursor.rowcount > 0

    def rows(self) -> Iterator[dict[str, Any]]:
        """All feedback, oldest first, as plain dicts (citations and settings decoded)."""
        if not self.path.exists():
            return
        with closing(self._connect()) as connection:
            for row in connection.execute("SELECT * FROM feedback ORDER BY id"):
                record = dict(row)
                record["citations"] = json.loads(record.pop("citations_json"))
                record["settings"] = json.loads(record.pop("settings_json"))
                record["answer"] = json.loads(record.pop("answer_json"))
                record["abstained"] = bool(record["abstained"])
                record["rating"] = "up" if record["rating"] == 1 else "down"
                yield record


def export_jsonl(settings: Settings, out: IO[str], *, include_answer: bool = False) -> int:
    """Write every feedback row as one JSON line to ``out``; returns the number of rows.

    ``include_answer`` adds the full ``Answer`` (all passages) to each line.
    """
    count = 0
    for record in FeedbackStore.for_settings(settings).rows():
        if not include_answer:
            record.pop("answer", None)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
