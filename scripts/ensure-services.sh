#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ answer on 127.0.0.1 (CI machines run them already; start
# them with the machine's own commands when they are installed but stopped).
set -euo pipefail

log() { echo "ensure-services: $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
    for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
    return 1
}

if ! port_open 5432; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    wait_port 5432 || { log "PostgreSQL did not start"; exit 1; }
fi
if ! port_open 5672; then
    log "starting RabbitMQ"
    rabbitmq-server -detached
    wait_port 5672 || { log "RabbitMQ did not start"; exit 1; }
fi
log "PostgreSQL and RabbitMQ answer"
