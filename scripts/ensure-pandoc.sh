#!/usr/bin/env bash
# The Markdown export is checked in Pandoc (Debian's pandoc), as office users convert it.
set -euo pipefail
if command -v pandoc >/dev/null 2>&1; then exit 0; fi
echo "Installing pandoc (Debian package) for the export tests"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq pandoc >/dev/null
