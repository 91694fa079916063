# The CNCF distribution registry (2.8) from Debian bookworm's docker-registry package on the
# project's Debian-built base (no registry pull); the same entrypoint and storage path as registry:2.8.
ARG BASE=evalbox/python-base:bookworm
FROM ${BASE}
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry wget \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
