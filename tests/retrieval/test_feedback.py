"""Feedback rows in SQLite and their JSONL export."""
from __future__ import annotations

import io
import json
import sqlite3

from retrieval.feedback import FeedbackStore, export_jsonl
from tests.app.answers import initiative_answer
from tests.conftest import make_settings


def test_rating_is_stored_with_question_answer_citations_and_settings(tmp_path):
    settings = make_settings(tmp_path / "data")
    FeedbackStore.for_settings(settings).record(initiative_answer(), 0, answer_id="t1", reason="Quelle veraltet")
    with sqlite3.connect(settings.data / "feedback.sqlite") as db:
        row = db.execute("SELECT rating, reason, question, answer_text, citations_json, settings_json FROM feedback").fetchone()
    assert row[0] == 0 and row[1] == "Quelle veraltet"
    assert row[2] == "Welche Ziele hat die NRW-Initiative zur Arbeitsmarktintegration gesetzt?"
    assert row[3].startswith("Messbare Zielgrößen im engeren Sinne")
    assert json.loads(row[4])[0]["label"] == "Antwort auf Kleine Anfrage 5591, zu Frage 3"
    assert json.loads(row[5])["k"] == 8


def test_second_click_on_the_same_answer_updates_not_duplicates(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    store.record(initiative_answer(), 1, answer_id="t1")
    store.record(initiative_answer(), 0, answer_id="t1")
    rows = list(store.rows())
    assert [(r["answer_id"], r["rating"]) for r in rows] == [("t1", "down")]


def test_reason_added_later_is_kept_when_thumb_changes(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    store.record(initiative_answer(), 0, answer_id="t1")
    assert store.set_reason("t1", "  falsche Fassung  ")
    store.record(initiative_answer(), 1, answer_id="t1")
    assert next(store.rows())["reason"] == "falsche Fassung"


def test_reason_for_unrated_answer_is_refused(tmp_path):
    assert not FeedbackStore(tmp_path / "f.sqlite").set_reason("nope", "x")


def test_jsonl_export_writes_one_line_per_rating(tmp_path):
    settings = make_settings(tmp_path / "data")
    store = FeedbackStore.for_settings(settings)
    store.record(initiative_answer(), 1, answer_id="a")
    store.record(initiative_answer(), 0, answer_id="b", reason="zu lang")
    out = io.StringIO()
    assert export_jsonl(settings, out) == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["answer_id"], x["rating"], x["reason"]) for x in lines] == [("a", "up", ""), ("b", "down", "zu lang")]
    assert lines[0]["citations"][1]["label"] == "§ 18 Abs. 1 SGB III" and "answer" not in lines[0]


def test_jsonl_export_without_feedback_file_is_empty(tmp_path):
    out = io.StringIO()
    assert export_jsonl(make_settings(tmp_path / "data"), out) == 0 and out.getvalue() == ""


def test_evaluation_feedback_command_exports_jsonl(tmp_path):
    import subprocess
    import sys

    from fundstelle.settings import REPO_ROOT
    from tests.conftest import settings_env

    settings = make_settings(tmp_path / "data")
    FeedbackStore.for_settings(settings).record(initiative_answer(), 0, answer_id="x", reason="falsche Fassung")
    out = tmp_path / "feedback.jsonl"
    result = subprocess.run([sys.executable, "-m", "evaluation", "feedback", "--out", str(out)], cwd=REPO_ROOT,
                            env=settings_env(settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["rating"], r["reason"]) for r in rows] == [("down", "falsche Fassung")]
