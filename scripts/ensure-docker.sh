#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install Debian's docker.io when dockerd is
# missing (root only), start dockerd in the background when it is not running, wait for it.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }

if docker info >/dev/null 2>&1; then
    log "Docker engine is running"
    exit 0
fi
# An engine named by DOCKER_HOST is someone else's to start: starting a local dockerd would not help.
if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != unix:///var/run/docker.sock ] &&
    [ "${DOCKER_HOST}" != unix:///run/docker.sock ]; then
    log "the Docker engine at DOCKER_HOST=$DOCKER_HOST does not answer: start it, or unset DOCKER_HOST"
    exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "no Docker engine: install Docker (https://docs.docker.com/engine/install/) and start it"
        exit 1
    fi
    log "installing docker.io"
    bash "$(dirname "$0")/ensure-packages.sh" docker.io
fi
if [ "$(id -u)" != 0 ]; then
    log "dockerd is installed but not running, and starting it needs root"
    exit 1
fi
log "starting dockerd"
mkdir -p /var/log
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        log "Docker engine is up"
        exit 0
    fi
    sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/dockerd.log"
tail -20 /var/log/dockerd.log >&2 || true
exit 1
