"""Builders for the locally built test images (no registry needed).

Every builder is idempotent: an image is built only when its tag is missing, so a test
session (or several) pays for each build once. Tags live under ``evalbox-test/`` so that the
normalized reference ``docker.io/evalbox-test/<name>:latest`` resolves to the local image.

- :func:`busybox_image`: ``FROM scratch`` + the host's static busybox, applets installed as
  symlinks in ``/bin``.
- :func:`busybox_script_image`: that image plus one shell script as its command; cheap, so
  security tests can build one image per attack.
- :func:`python_image`: the examples' Debian bookworm Python base image (built once per
  machine by ``examples/base-images/build.sh``).
- :func:`unique_image`: a busybox image with a layer of its own (registry tests: a pull must
  download it).
- :func:`scoring_image`: a busybox scorer writing ``/mnt/out/scores.json``.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import uuid
from pathlib import Path

import docker
import docker.errors

from tests.helpers.examples import build_images

BUSYBOX_BINARY = Path(os.environ.get("EVALBOX_TEST_BUSYBOX", "/bin/busybox"))
PREFIX = "evalbox-test"
BUSYBOX_TAG = f"{PREFIX}/busybox:latest"

_lock = threading.Lock()


def client() -> docker.DockerClient:
    """A Docker SDK client of the engine of ``DOCKER_HOST``."""
    return docker.from_env()


def image_exists(engine: docker.DockerClient, tag: str) -> bool:
    """Whether the engine has an image tagged ``tag``."""
    try:
        engine.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def build_from_files(tag: str, dockerfile: str, files: dict[str, tuple[bytes, int]] | None = None) -> str:
    """Build ``tag`` from a Dockerfile text and a build context of ``{name: (bytes, mode)}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add_bytes(tar, "Dockerfile", dockerfile.encode())
        for name, (data, mode) in (files or {}).items():
            _add_bytes(tar, name, data, mode)
    buffer.seek(0)
    engine = client()
    # No network for RUN steps: nothing is downloaded, and builds then work even without docker0.
    engine.images.build(fileobj=buffer, custom_context=True, tag=tag, rm=True, forcerm=True, pull=False,
                        network_mode="none")
    return tag


def busybox_image() -> str:
    """The base busybox image (``FROM scratch`` + static busybox); returns its tag."""
    with _lock:
        if not image_exists(client(), BUSYBOX_TAG):
            build_from_files(
                BUSYBOX_TAG,
                'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
                'ENV PATH=/bin\nCMD ["/bin/sh"]\n',
                {"busybox": (BUSYBOX_BINARY.read_bytes(), 0o755)},
            )
    return BUSYBOX_TAG


def busybox_script_image(name: str, script: str, labels: dict[str, str] | None = None,
                         base: str | None = None) -> str:
    """An image running ``script`` with busybox ``sh``; returns ``evalbox-test/<name>:<hash>``.

    The tag includes a hash of the script, so changing a script rebuilds its image. ``base``
    is an image built on :func:`busybox_image` (the default) that adds files, e.g. test tools.
    """
    base = base or busybox_image()
    label_lines = "".join(f'LABEL "{k}"="{v}"\n' for k, v in (labels or {}).items())
    dockerfile = f'FROM {base}\nCOPY run.sh /run.sh\n{label_lines}CMD ["/bin/sh", "/run.sh"]\n'
    digest = hashlib.sha256((dockerfile + script).encode()).hexdigest()[:12]
    tag = f"{PREFIX}/{name}:{digest}"
    with _lock:
        if not image_exists(client(), tag):
            build_from_files(tag, dockerfile, {"run.sh": (script.encode(), 0o755)})
    return tag


def unique_image(name: str, script: str, noise_mb: int = 0) -> str:
    """A busybox image with a layer no other image has (a worker must download it), plus ``noise_mb`` MB of random
    bytes when asked; returns ``evalbox-test/<name>:<random>``."""
    script = f"# {uuid.uuid4()}\n{script}"
    if not noise_mb:
        return busybox_script_image(name, script)
    return build_from_files(
        f"{PREFIX}/{name}:{uuid.uuid4().hex[:12]}",
        f'FROM {busybox_image()}\nCOPY noise /noise\nCOPY run.sh /run.sh\nCMD ["/bin/sh", "/run.sh"]\n',
        {"noise": (os.urandom(noise_mb << 20), 0o644), "run.sh": (script.encode(), 0o755)})


def scoring_image(name: str = "scorer", script: str | None = None) -> str:
    """A busybox scorer; by default it counts lines of ``/mnt/predictions/predictions.txt``.

    Scores: ``lines`` (number of prediction lines) and ``matches`` (lines equal to the
    reference's ``/mnt/reference/answer.txt`` first line).
    """
    default = (
        "set -e\n"
        "lines=$(cat /mnt/predictions/predictions.txt 2>/dev/null | wc -l)\n"
        "answer=$(head -n 1 /mnt/reference/answer.txt 2>/dev/null || true)\n"
        'matches=$(grep -c -x -F "$answer" /mnt/predictions/predictions.txt 2>/dev/null || true)\n'
        '[ -n "$matches" ] || matches=0\n'
        'printf \'{"lines": %s, "matches": %s}\' "$lines" "$matches" > /mnt/out/scores.json\n'
        'echo "scored $lines lines"\n'
    )
    return busybox_script_image(name, script or default)


def python_image() -> str:
    """The examples' Debian bookworm Python base image, made from Debian packages by
    ``examples/base-images/build.sh`` (debootstrap + docker import, rootfs cached per machine)."""
    with _lock:
        build_images.ensure_base_images(client(), {"python": build_images.PYTHON_BASE})
    return build_images.PYTHON_BASE
