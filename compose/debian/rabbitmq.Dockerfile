# RabbitMQ 3.10 from Debian bookworm's packages, management plugin on, on the project's
# Debian-built base (no registry pull). RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS make the
# first user, as with the official image; /etc/rabbitmq/conf.d/ is read as there.
ARG BASE=evalbox/python-base:bookworm
FROM ${BASE}
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/* /var/lib/rabbitmq/mnesia \
    && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null \
    && mkdir -p /etc/rabbitmq/conf.d
COPY rabbitmq-start.sh /usr/local/bin/rabbitmq-start
EXPOSE 5672 15672
CMD ["rabbitmq-start"]
