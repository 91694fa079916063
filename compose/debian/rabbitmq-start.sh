#!/bin/sh
# The first user from RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, logs to stdout, then the server.
set -eu
{
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
    echo "log.console = true"
    echo "log.file = false"
} >/etc/rabbitmq/conf.d/10-defaults.conf
chmod 640 /etc/rabbitmq/conf.d/10-defaults.conf
chown root:rabbitmq /etc/rabbitmq/conf.d/10-defaults.conf
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec rabbitmq-server
