#!/usr/bin/env bash
# Make sure the Debian packages named as arguments are installed: as root on Debian, install the
# missing ones with apt; elsewhere say which to install. Exits 0 when all are there.
set -euo pipefail

log() { echo "ensure-packages: $*" >&2; }

missing=()
for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    log "installed: $*"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing: ${missing[*]} (on Debian: apt-get install ${missing[*]})"
    exit 1
fi
log "installing ${missing[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -q "${missing[@]}" >/dev/null
log "installed ${missing[*]}"
