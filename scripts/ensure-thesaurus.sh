#!/usr/bin/env bash
# German synonyms for the query side of keyword search: Debian's openthesaurus-de-text (LGPL).
# Without it Fundstelle works, with fewer matches for everyday words and the answerability floor
# calibrated without synonyms (retrieval/answerability.json); so a failed install warns.
set -uo pipefail
if [ -f /usr/share/openthesaurus-de/openthesaurus.txt ]; then exit 0; fi
echo "Installing openthesaurus-de-text (Debian package) for German synonyms"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openthesaurus-de-text >/dev/null; }; then
  echo "warning: could not install openthesaurus-de-text; keyword search runs without synonyms" >&2
fi
exit 0
