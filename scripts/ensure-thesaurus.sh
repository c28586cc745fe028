#!/usr/bin/env bash
# German synonyms for the query side of keyword search: Debian's openthesaurus-de-text (LGPL).
# With apt where it can; otherwise the same package fetched from the Debian archive, checked
# against its pinned SHA-256 and unpacked under the models folder (index/thesaurus_deb.py).
# Without it Fundstelle works, with fewer matches for everyday words and the answerability floor
# calibrated without synonyms (retrieval/answerability.json); so a failure only warns.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f /usr/share/openthesaurus-de/openthesaurus.txt ]; then exit 0; fi
PY=.venv/bin/python
if [ -x "$PY" ] && "$PY" -m index.thesaurus_deb --check; then exit 0; fi
echo "Installing openthesaurus-de-text (Debian package) for German synonyms"
SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo -n"
if command -v apt-get >/dev/null && $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openthesaurus-de-text >/dev/null; then
  exit 0
fi
echo "apt-get could not install it: fetching the same package from the Debian archive"
if ! { [ -x "$PY" ] && "$PY" -m index.thesaurus_deb; }; then
  echo "warning: no OpenThesaurus; keyword search runs without synonyms and answerability with the floor calibrated for that" >&2
fi
exit 0
