"""Fixtures for the app tests: AppTest instances that read their settings from FUNDSTELLE_*
environment variables, exactly as `streamlit run app.py` does."""
from __future__ import annotations

import json
import os
import uuid

import pytest
from streamlit.testing.v1 import AppTest

from fundstelle.settings import REPO_ROOT, Settings
from app_support.ui import QUESTION_BOX
from tests.conftest import settings_env

APP = REPO_ROOT / "app.py"
# The first run builds the assistant (embedding model, index, BM25): seconds, more on a busy machine.
TIMEOUT = 300


@pytest.fixture
def use_settings(monkeypatch):
    """Point the app at ``settings`` (plus extra FUNDSTELLE_* variables)."""

    def apply(settings: Settings, **extra: str) -> Settings:
        for name in [n for n in os.environ if n.startswith("FUNDSTELLE_")]:
            monkeypatch.delenv(name)
        for name, value in settings_env(settings).items():
            if name.startswith("FUNDSTELLE_"):
                monkeypatch.setenv(name, value)
        for name, value in extra.items():
            monkeypatch.setenv(f"FUNDSTELLE_{name.upper()}", value)
        return settings

    return apply


def new_session(use_settings, settings: Settings) -> AppTest:
    """A fresh session of the app on ``settings``, after its first run."""
    use_settings(settings)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app_on_core_index(use_settings, core_index_settings):
    """A fresh session of the app on the shared core index."""
    return new_session(use_settings, core_index_settings)


def ask(at: AppTest, question: str) -> AppTest:
    """Send ``question`` as the question box in the browser does (AppTest runs no JavaScript):
    its value lists every question sent from the page, each with an id made in the browser."""
    try:
        sent = list(at.session_state[QUESTION_BOX] or [])
    except KeyError:              # before the box was first drawn
        sent = []
    sent.append({"id": uuid.uuid4().hex, "text": question})
    at.session_state[QUESTION_BOX] = sent
    at.run()
    assert not at.exception, at.exception
    return at


def question_boxes(at: AppTest) -> list[dict]:
    """The arguments of each question box on the page (its placeholder, labels, limit)."""
    return [json.loads(box.proto.json_args) for box in at.get("component_instance")]


def texts(at: AppTest) -> list[str]:
    """Every Markdown body on the page (markdown, captions, headings, alerts)."""
    bodies = [m.value for m in at.get("markdown")]
    for kind in ("caption", "subheader", "header", "title", "error", "warning", "info", "success"):
        bodies += [str(e.value) for e in at.get(kind)]
    return bodies
