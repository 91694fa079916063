# nginx from Debian bookworm's packages on the project's Debian-built base (no registry pull);
# it reads /etc/nginx/conf.d/*.conf as the official image does, and logs to stdout/stderr.
ARG BASE=evalbox/python-base:bookworm
FROM ${BASE}
RUN apt-get update -q \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx wget \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
