"""A non-editable install carries everything the command-line entry points import."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from fundstelle.settings import REPO_ROOT

pytestmark = pytest.mark.slow
PACKAGES = ("fundstelle", "index", "ingest", "retrieval", "evaluation")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built and installed (not editable) into a folder of its own; the
    dependencies come from the test environment."""
    # Built from a copy: a build in the checkout would leave build/ behind, and a stale
    # build/lib could hide a module that is no longer packaged.
    source = tmp_path_factory.mktemp("source") / "fundstelle"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".cache", "data", "build", "dist", "*.egg-info", "__pycache__", "bench-results",
        "test-output", "eval-out", ".pytest_cache"))
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--target", str(target), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return target


def run_outside(installed, tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    return subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_packages_are_imported_from_the_installed_copy(installed, tmp_path):
    code = "import importlib; print('\\n'.join(importlib.import_module(p).__file__ for p in %r))" % (PACKAGES,)
    result = run_outside(installed, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    assert all(line.startswith(str(installed)) for line in result.stdout.splitlines()), result.stdout


@pytest.mark.parametrize("package", ["evaluation", "ingest", "retrieval"])
def test_cli_help_runs_from_outside_the_repository(installed, tmp_path, package):
    result = run_outside(installed, tmp_path, "-m", package, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: python -m {package}" in result.stdout


def test_feedback_export_runs_from_the_installed_copy(installed, tmp_path):
    env_data = tmp_path / "data"
    result = subprocess.run([sys.executable, "-m", "evaluation", "feedback"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(installed), "FUNDSTELLE_DATA": str(env_data)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
