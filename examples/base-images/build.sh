#!/usr/bin/env bash
# Build the example base images without any container registry:
#   evalbox/python-base:bookworm  Debian bookworm minbase + python3, made with debootstrap
#                                 and loaded with `docker import`;
#   evalbox/busybox-base:latest   FROM scratch + the host's static busybox.
#
# Usage: examples/base-images/build.sh [--rebuild] [python|busybox ...]
# An image whose tag already exists is skipped unless --rebuild is given. The debootstrap
# rootfs is cached as a tarball under $EVALBOX_BASE_CACHE (default /var/cache/evalbox), so it
# is made once per machine; delete the tarball to make it again.
# Environment: EVALBOX_DEBIAN_MIRROR (default: the bookworm mirror in the apt config, else
# http://deb.debian.org/debian), EVALBOX_BASE_CACHE.
set -euo pipefail

PYTHON_TAG="evalbox/python-base:bookworm"
BUSYBOX_TAG="evalbox/busybox-base:latest"
SUITE="bookworm"
# python3 (not python3-minimal): json, statistics and csv must import, and json and
# statistics live in libpython3.11-stdlib. ca-certificates is left out: no network anyway.
PACKAGES="python3"
CACHE_DIR="${EVALBOX_BASE_CACHE:-/var/cache/evalbox}"

log() { echo "base-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

rebuild=0
targets=()
for arg in "$@"; do
    case "$arg" in
        --rebuild) rebuild=1 ;;
        python|busybox) targets+=("$arg") ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) die "unknown argument '$arg' (expected --rebuild, python, busybox)" ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(python busybox)

command -v docker >/dev/null 2>&1 || die "the docker CLI is missing: install Docker (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: start dockerd (or run scripts/ensure-docker.sh)"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The bookworm mirror from the apt configuration (deb822 .sources or one-line sources.list).
debian_mirror() {
    if [ -n "${EVALBOX_DEBIAN_MIRROR:-}" ]; then echo "$EVALBOX_DEBIAN_MIRROR"; return; fi
    local file uri
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -r "$file" ] || continue
        uri=$(awk '
            /^[[:space:]]*$/ { if (u != "" && s ~ /(^| )bookworm( |$)/) { print u; exit } u = ""; s = ""; next }
            /^URIs:/ { u = $2 } /^Suites:/ { $1 = ""; s = $0 " " }
            END { if (u != "" && s ~ /(^| )bookworm( |$)/) print u }' "$file" | head -n1)
        if [ -n "$uri" ]; then echo "${uri%/}"; return; fi
    done
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$file" ] || continue
        uri=$(awk '$1 == "deb" && $0 !~ /security/ {
            for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == "bookworm") print $i; break } }' \
            "$file" | head -n1)
        if [ -n "$uri" ]; then echo "${uri%/}"; return; fi
    done
    echo "http://deb.debian.org/debian"
}

build_python() {
    if [ "$rebuild" = 0 ] && image_exists "$PYTHON_TAG"; then
        log "$PYTHON_TAG exists, skipping (use --rebuild to make it again)"
        return
    fi
    local tarball="$CACHE_DIR/python-base-$SUITE-$(echo "$PACKAGES" | tr ' ,' '__').tar"
    if [ ! -s "$tarball" ]; then
        command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing (Debian: apt-get install debootstrap)"
        [ "$(id -u)" = 0 ] || die "debootstrap needs root to make $tarball"
        local mirror rootfs
        mirror=$(debian_mirror)
        mkdir -p "$CACHE_DIR"
        rootfs=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
        # shellcheck disable=SC2064
        trap "rm -rf '$rootfs'" EXIT
        log "debootstrap --variant=minbase --include=$PACKAGES $SUITE from $mirror (a few minutes, once per machine)"
        debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
            { tail -n 30 "$rootfs.log" >&2; die "debootstrap failed (full log: $rootfs.log)"; }
        rm -f "$rootfs.log"
        log "trimming apt caches, docs, man pages and locales"
        chroot "$rootfs" apt-get clean
        rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
            "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
            "$rootfs"/usr/share/locale/* "$rootfs"/usr/share/lintian "$rootfs"/var/log/* \
            "$rootfs"/debootstrap "$rootfs"/tmp/* "$rootfs"/root/.cache
        printf 'Python 3 check:\n' >&2
        chroot "$rootfs" python3 -c 'import csv, json, statistics, math, random, sys; print(" ", sys.version.split()[0])' >&2 ||
            die "python3 in the rootfs cannot import json/statistics/csv"
        tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        rm -rf "$rootfs"
        trap - EXIT
        log "cached rootfs at $tarball ($(du -h "$tarball" | cut -f1))"
    else
        log "using the cached rootfs $tarball"
    fi
    log "docker import -> $PYTHON_TAG"
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
        --change 'ENV PYTHONUNBUFFERED=1' \
        --change 'LABEL org.opencontainers.image.title="evalbox python base" org.opencontainers.image.description="Debian bookworm minbase with python3, built by debootstrap (examples/base-images/build.sh)" org.opencontainers.image.base.name="debian:bookworm"' \
        --change 'CMD ["python3"]' \
        "$tarball" "$PYTHON_TAG" >/dev/null
    docker run --rm --network none "$PYTHON_TAG" python3 -c 'import csv, json, statistics' ||
        die "$PYTHON_TAG was imported but python3 does not run in it"
    log "built $PYTHON_TAG ($(docker image inspect -f '{{.Size}}' "$PYTHON_TAG" | awk '{printf "%.0f MB", $1 / 1e6}'))"
}

build_busybox() {
    if [ "$rebuild" = 0 ] && image_exists "$BUSYBOX_TAG"; then
        log "$BUSYBOX_TAG exists, skipping (use --rebuild to make it again)"
        return
    fi
    local busybox context applet
    busybox=""
    for candidate in /bin/busybox /usr/bin/busybox; do
        if [ -x "$candidate" ] && file -L "$candidate" 2>/dev/null | grep -q 'statically linked'; then
            busybox=$candidate
            break
        fi
    done
    if [ -z "$busybox" ] && [ -x /bin/busybox ] && ! command -v file >/dev/null 2>&1; then
        busybox=/bin/busybox  # no `file` to check with: busybox-static installs here
    fi
    [ -n "$busybox" ] || die "no static busybox found (Debian: apt-get install busybox-static)"
    context=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$context'" EXIT
    mkdir -p "$context/rootfs/bin" "$context/rootfs/sbin" "$context/rootfs/usr/bin" "$context/rootfs/usr/sbin" \
        "$context/rootfs/etc" "$context/rootfs/tmp" "$context/rootfs/mnt"
    cp "$busybox" "$context/rootfs/bin/busybox"
    for applet in $("$busybox" --list-full); do
        [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$context/rootfs/$applet"
    done
    chmod 1777 "$context/rootfs/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
        >"$context/rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$context/rootfs/etc/group"
    cat >"$context/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.opencontainers.image.title="evalbox busybox base" \
      org.opencontainers.image.description="FROM scratch with a static busybox (examples/base-images/build.sh)"
CMD ["/bin/sh"]
EOF
    log "docker build FROM scratch + $busybox -> $BUSYBOX_TAG"
    docker build -q -t "$BUSYBOX_TAG" "$context" >/dev/null 2>"$context/build.log" ||
        { cat "$context/build.log" >&2; die "docker build of $BUSYBOX_TAG failed"; }
    rm -rf "$context"
    trap - EXIT
    docker run --rm --network none "$BUSYBOX_TAG" sh -c 'echo ok >/dev/null' ||
        die "$BUSYBOX_TAG was built but sh does not run in it"
    log "built $BUSYBOX_TAG"
}

for target in "${targets[@]}"; do
    start=$(date +%s)
    "build_$target"
    log "$target: done in $(($(date +%s) - start)) s"
done
