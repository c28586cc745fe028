"""Settings: one limit on k for settings, the Assistant and the app."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from fundstelle.settings import MAX_K, Settings


def test_k_up_to_the_limit_is_accepted(tmp_path):
    assert Settings(data=tmp_path, k=MAX_K).k == MAX_K


def test_k_above_the_limit_is_refused_at_start_naming_the_field(tmp_path, monkeypatch):
    monkeypatch.setenv("FUNDSTELLE_K", str(MAX_K + 1))
    with pytest.raises(ValidationError, match=rf"k\n.*less than or equal to {MAX_K}"):
        Settings(data=tmp_path)


def test_the_query_adapter_is_on_by_default_and_an_empty_setting_turns_it_off(monkeypatch):
    folder = Settings().query_adapter_questions
    assert folder.is_dir() and folder.name == "training" and any(folder.glob("*.jsonl"))
    monkeypatch.setenv("FUNDSTELLE_QUERY_ADAPTER_QUESTIONS", "")
    assert Settings().query_adapter_questions is None
