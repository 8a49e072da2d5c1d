#!/usr/bin/env bash
# The multi-replica tests (issue 21) start real servers from Debian's packages: redis-server,
# PostgreSQL (initdb + pg_ctl) and haproxy. Install whichever is missing (apt-get, as root or
# through sudo); do nothing when all three are already on this machine.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "installing Debian's ${need[*]} for the multi-replica tests" >&2
$SUDO apt-get update -q >/dev/null
# Only the binaries are used: the tests start their own servers in temporary folders.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
command -v redis-server >/dev/null
