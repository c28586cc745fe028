#!/usr/bin/env bash
# Run the test suite on a fresh machine: install, make sure Chromium and Pandoc are there, run pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
bash scripts/ensure-chromium.sh || exit 1
bash scripts/ensure-pandoc.sh || exit 1
bash scripts/ensure-thesaurus.sh
.venv/bin/python -m pytest "$@"
rc=$?
# pytest exit code 5 means no tests were collected: that is a failure here.
if [ "$rc" -eq 5 ]; then echo "no tests collected" >&2; exit 1; fi
exit $rc
