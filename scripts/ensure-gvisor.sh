#!/usr/bin/env bash
# Make gVisor's runsc available to the local Docker engine as the runtime "runsc" (idempotent):
# install Debian's runsc package when /usr/bin/runsc is missing (root only), register it in
# /etc/docker/daemon.json (merged with whatever is there) with --network=none (runsc refuses to
# start networkless containers otherwise), make dockerd reload its runtimes (SIGHUP; a restart
# the way scripts/ensure-docker.sh starts it when that is not enough) and wait until
# `docker info` lists runsc.
set -euo pipefail

log() { echo "ensure-gvisor: $*" >&2; }

DAEMON_JSON="${EVALBOX_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"
RUNSC=/usr/bin/runsc

runsc_listed() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }

if runsc_listed && [ -x "$RUNSC" ]; then
    log "runsc is registered with the Docker engine"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    log "runsc is not registered and registering it needs root (see docs/security.md)"
    exit 1
fi
if [ ! -x "$RUNSC" ]; then
    bash "$(dirname "$0")/ensure-packages.sh" runsc
fi

mkdir -p "$(dirname "$DAEMON_JSON")"
python3 - "$DAEMON_JSON" "$RUNSC" <<'EOF'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as handle:
        config = json.load(handle)
wanted = {"path": runsc, "runtimeArgs": ["--network=none"]}
if config.get("runtimes", {}).get("runsc") != wanted:
    config.setdefault("runtimes", {})["runsc"] = wanted
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(config, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
    print(f"ensure-gvisor: registered runsc in {path}", file=sys.stderr)
EOF

wait_for_runsc() {
    for _ in $(seq 1 "$1"); do
        if runsc_listed; then
            return 0
        fi
        sleep 1
    done
    return 1
}

pid="$(pidof dockerd || true)"
if [ -n "$pid" ]; then
    log "reloading dockerd ($pid)"
    kill -HUP $pid
    if wait_for_runsc 10; then
        log "runsc is registered with the Docker engine"
        exit 0
    fi
    log "dockerd did not pick runsc up on reload: restarting it"
    kill -TERM $pid
    for _ in $(seq 1 30); do
        kill -0 $pid 2>/dev/null || break
        sleep 1
    done
fi
bash "$(dirname "$0")/ensure-docker.sh"
if wait_for_runsc 30; then
    log "runsc is registered with the Docker engine"
    exit 0
fi
log "runsc is still not listed by 'docker info'; see /var/log/dockerd.log"
exit 1
