"""Images of the security battery: busybox plus a static C probe (``probe.c`` here), one image per attack.

:func:`probe_image` compiles ``probe.c`` with the host's ``gcc -static`` only when the image
is missing (its tag is a hash of the source), copies it to ``/bin/probe`` and, owned by root
with the setuid bit, to ``/bin/suid-probe``. :func:`attack_image` adds one shell script.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.helpers import docker_images

PROBE_SOURCE = Path(__file__).with_name("probe.c")
_lock = threading.Lock()


def probe_image() -> str:
    """The busybox image with ``/bin/probe`` and the setuid-root ``/bin/suid-probe``; returns its tag."""
    base = docker_images.busybox_image()
    dockerfile = (f"FROM {base}\nCOPY probe /bin/probe\n"
                  'RUN ["/bin/cp", "/bin/probe", "/bin/suid-probe"]\n'
                  'RUN ["/bin/chmod", "4755", "/bin/suid-probe"]\n')
    source = PROBE_SOURCE.read_bytes()
    tag = f"{docker_images.PREFIX}/probe:{hashlib.sha256(source + dockerfile.encode()).hexdigest()[:12]}"
    with _lock:
        if docker_images.image_exists(docker_images.client(), tag):
            return tag
        with tempfile.TemporaryDirectory() as tmp:
            binary = Path(tmp) / "probe"
            subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", str(binary), str(PROBE_SOURCE), "-lpthread"],
                           check=True, capture_output=True)
            docker_images.build_from_files(tag, dockerfile, {"probe": (binary.read_bytes(), 0o755)})
    return tag


def attack_image(name: str, script: str) -> str:
    """An image running ``script`` (busybox ``sh``, the probe on ``PATH``); tag ``evalbox-test/attack-<name>``."""
    return docker_images.busybox_script_image(f"attack-{name}", script, base=probe_image())


def with_labels(image: str, labels: dict[str, str]) -> str:
    """``image`` plus ``labels`` of any size (committed: a Dockerfile line is limited to 64 KB)."""
    digest = hashlib.sha256(json.dumps([image, labels], sort_keys=True).encode()).hexdigest()[:12]
    repository = f"{docker_images.PREFIX}/labelled"
    tag = f"{repository}:{digest}"
    with _lock:
        client = docker_images.client()
        if not docker_images.image_exists(client, tag):
            container = client.containers.create(image, network_disabled=True)
            try:
                container.commit(repository=repository, tag=digest, conf={"Labels": labels})
            finally:
                container.remove(force=True)
    return tag
