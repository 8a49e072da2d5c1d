#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium with Playwright. Install it when missing
# (apt-get, as root or through sudo); do nothing when a chromium is already on PATH or
# GEX_CHROMIUM names one.
set -euo pipefail
if [ -n "${GEX_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing Debian's chromium for the browser tests" >&2
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
