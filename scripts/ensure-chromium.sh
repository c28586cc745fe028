#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing chromium (Debian package) for the browser tests"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
