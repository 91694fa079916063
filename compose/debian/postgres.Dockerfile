# PostgreSQL 15 from Debian bookworm's packages on the project's Debian-built base (no registry
# pull). It honours the official image's POSTGRES_DB, POSTGRES_USER and POSTGRES_PASSWORD on the
# first start and keeps its data in /var/lib/postgresql/data, so docker-compose.yml needs no change.
ARG BASE=evalbox/python-base:bookworm
FROM ${BASE}
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15/main
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-start.sh /usr/local/bin/postgres-start
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["postgres-start"]
