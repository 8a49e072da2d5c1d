#!/usr/bin/env bash
# The accessibility test injects axe-core (Deque, MPL-2.0) into the dashboard in Chromium.
# Install the pinned release from npm into build/node/ when it is missing; do nothing when
# it is there or GEX_AXE names an axe.min.js.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.14.1
TARGET=build/node/node_modules/axe-core/axe.min.js
if [ -n "${GEX_AXE:-}" ] && [ -f "$GEX_AXE" ]; then exit 0; fi
if [ -f "$TARGET" ] && grep -q "\"version\": \"$VERSION\"" build/node/node_modules/axe-core/package.json; then exit 0; fi
command -v npm >/dev/null 2>&1 || { echo "npm is missing: apt-get install npm (needed for axe-core)" >&2; exit 1; }
echo "installing axe-core $VERSION for the accessibility test" >&2
mkdir -p build/node
npm install --silent --no-audit --no-fund --prefix build/node "axe-core@$VERSION" >/dev/null
test -f "$TARGET"
