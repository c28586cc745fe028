"""`python -m retrieval ask` as a user runs it."""
from __future__ import annotations

import pytest

import json
import subprocess
import sys

from fundstelle.settings import REPO_ROOT
from tests.conftest import settings_env

pytestmark = pytest.mark.slow


def ask(settings, *args):
    return subprocess.run([sys.executable, "-m", "retrieval", "ask", *args], cwd=REPO_ROOT, env=settings_env(settings),
                          capture_output=True, text=True, timeout=300)


def test_help_lists_the_options(core_index_settings):
    result = subprocess.run([sys.executable, "-m", "retrieval", "ask", "--help"], cwd=REPO_ROOT,
                            env=settings_env(core_index_settings), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--as-of" in result.stdout and "--kind" in result.stdout


def test_answer_with_numbered_source_list(core_index_settings):
    result = ask(core_index_settings, "Ab wann gilt man als langzeitarbeitslos?")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "Quellen:" in result.stdout
    assert "§ 18 Abs. 1 SGB III" in result.stdout and "gesetze-im-internet.de/sgb_3/__18.html" in result.stdout


def test_json_output_is_the_answer_object(core_index_settings):
    result = ask(core_index_settings, "Ab wann gilt man als langzeitarbeitslos?", "--json", "--kind", "law")
    data = json.loads(result.stdout)
    assert data["citations"] and {p["kind"] for p in data["passages"]} == {"law"}


def test_empty_question_is_a_clear_error(core_index_settings):
    result = ask(core_index_settings, "   ")
    assert result.returncode == 2 and "leer" in result.stderr and "Traceback" not in result.stderr
