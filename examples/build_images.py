"""Build the example images with the Docker SDK, and optionally check them in the sandbox.

Usage::

    python examples/build_images.py [--rebuild] [--verify] [--python-base IMAGE] [--busybox-base IMAGE]

Tags (see :data:`IMAGES`): ``evalbox-examples/participant:latest``,
``evalbox-examples/scoring:latest``, ``evalbox-examples/progress:latest``, ``evalbox-examples/exit-nonzero:latest``,
``evalbox-examples/sleep-forever:latest``, ``evalbox-examples/bad-output:latest``
(``EVALBOX_EXAMPLES_PREFIX`` replaces ``evalbox-examples``). An image whose
tag exists is skipped unless ``--rebuild``. The local base images are made first by
``examples/base-images/build.sh`` when missing; ``--python-base python:3.12-slim`` and
``--busybox-base busybox:1.36`` use registry images instead.

``--verify`` runs each image in the compute worker's own sandbox
(``compute_worker.sandbox.container_kwargs``) on the demo data, then the scorer on
the participant's output, and prints the scores. Exit code 0 when everything built (and
behaved as expected).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import BuildError, DockerException, ImageNotFound

from compute_worker.config import WorkerConfig
from compute_worker.protocol import Limits
from compute_worker.sandbox import BindMount, container_kwargs

HERE = Path(__file__).resolve().parent
PYTHON_BASE = "evalbox/python-base:bookworm"
BUSYBOX_BASE = "evalbox/busybox-base:latest"


@dataclass(frozen=True)
class ExampleImage:
    """One example image: its tag, build context and which base it needs."""

    tag: str
    context: Path
    base: str  # "python" or "busybox"


#: The tags' namespace; a test of ``make demo`` from nothing gives it one of its own, so that it
#: can start with none of the images without taking them from anybody else.
PREFIX = os.environ.get("EVALBOX_EXAMPLES_PREFIX", "evalbox-examples")
IMAGES: dict[str, ExampleImage] = {
    "participant": ExampleImage(f"{PREFIX}/participant:latest", HERE / "participant", "python"),
    "scoring": ExampleImage(f"{PREFIX}/scoring:latest", HERE / "scoring", "python"),
    "progress": ExampleImage(f"{PREFIX}/progress:latest", HERE / "progress", "python"),
    "exit-nonzero": ExampleImage(f"{PREFIX}/exit-nonzero:latest", HERE / "bad" / "exit-nonzero", "busybox"),
    "sleep-forever": ExampleImage(f"{PREFIX}/sleep-forever:latest", HERE / "bad" / "sleep-forever", "busybox"),
    "bad-output": ExampleImage(f"{PREFIX}/bad-output:latest", HERE / "bad" / "bad-output", "busybox"),
}

#: The limits the examples are checked under (the demo phase's).
VERIFY_LIMITS = Limits(time_limit_s=60, memory_mb=512, cpus=1.0, pids=64)
#: Containers of the check carry this worker id, so no compute worker ever reaps them.
VERIFY_WORKER = WorkerConfig(worker_id="evalbox-examples-verify")


def _exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except ImageNotFound:
        return False
    return True


def ensure_base_images(client: docker.DockerClient, bases: dict[str, str]) -> None:
    """Run ``base-images/build.sh`` for the local base images that are needed and missing."""
    missing = [kind for kind, tag in bases.items() if tag in (PYTHON_BASE, BUSYBOX_BASE) and not _exists(client, tag)]
    if missing:
        print(f"base images missing ({', '.join(missing)}): running examples/base-images/build.sh", flush=True)
        subprocess.run(["bash", str(HERE / "base-images" / "build.sh"), *missing], check=True)


def build_all(
    client: docker.DockerClient, *, rebuild: bool = False, bases: dict[str, str] | None = None
) -> dict[str, str]:
    """Build every example image (skipping existing tags unless ``rebuild``); return name -> tag."""
    bases = bases or {"python": PYTHON_BASE, "busybox": BUSYBOX_BASE}
    needed = {image.base for image in IMAGES.values() if rebuild or not _exists(client, image.tag)}
    ensure_base_images(client, {kind: tag for kind, tag in bases.items() if kind in needed})
    for name, image in IMAGES.items():
        if not rebuild and _exists(client, image.tag):
            print(f"{image.tag}: exists, skipping (--rebuild to build again)")
            continue
        started = time.monotonic()
        try:
            client.images.build(
                path=str(image.context), tag=image.tag, rm=True, forcerm=True, buildargs={"BASE": bases[image.base]}
            )
        except BuildError as exc:
            log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in exc.build_log)
            raise SystemExit(f"building {name} failed: {exc.msg}\n{log}") from None
        print(f"{image.tag}: built in {time.monotonic() - started:.1f} s")
    return {name: image.tag for name, image in IMAGES.items()}


def run_sandboxed(
    client: docker.DockerClient, tag: str, mounts: dict[str, tuple[Path, str]], timeout_s: float = 60
) -> tuple[int | None, str]:
    """Run ``tag`` in the sandbox with ``mounts`` (container path -> (host path, mode)).

    Returns ``(exit code, logs)``; the exit code is ``None`` when the container was still
    running after ``timeout_s`` and had to be killed.
    """
    binds = [BindMount(str(host), target, read_only=mode == "ro") for target, (host, mode) in mounts.items()]
    role = "scoring" if "/mnt/predictions" in mounts else "participant"
    kwargs = container_kwargs(VERIFY_LIMITS, image=tag, mounts=binds, config=VERIFY_WORKER, submission_id=1, role=role)
    container = client.containers.create(**kwargs)
    container.start()
    try:
        try:
            code: int | None = container.wait(timeout=timeout_s)["StatusCode"]
        except Exception:  # requests' ReadTimeout: the container is still running
            container.kill()
            code = None
        return code, container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    finally:
        container.remove(force=True)


def verify(client: docker.DockerClient) -> bool:
    """Run the examples on the demo data in the sandbox; print what happened; True if all as expected."""
    sys.path.insert(0, str(HERE))
    from make_demo_archives import DATA_DIR, ensure_data

    ensure_data()
    ok = True

    def check(label: str, condition: bool, detail: str) -> None:
        nonlocal ok
        ok = ok and condition
        print(f"{'ok  ' if condition else 'FAIL'} {label}: {detail.strip()}")

    with tempfile.TemporaryDirectory(prefix="evalbox-verify-") as tmp:
        root = Path(tmp)
        in_dir, ref_dir = DATA_DIR / "input", DATA_DIR / "reference"
        outputs = {}
        for name in ("participant", "bad-output", "exit-nonzero", "sleep-forever"):
            out = root / name / "out"
            out.mkdir(parents=True)
            out.chmod(0o777)  # written by uid 65534
            timeout = 5 if name == "sleep-forever" else 120
            code, logs = run_sandboxed(
                client, IMAGES[name].tag, {"/mnt/in": (in_dir, "ro"), "/mnt/out": (out, "rw")}, timeout
            )
            outputs[name] = (code, logs, out)
        code, logs, _ = outputs["exit-nonzero"]
        message = next((line for line in logs.splitlines() if "error:" in line), "no error message")
        check("exit-nonzero", code == 3 and "error:" in logs, f"exit {code}; {message}")
        code, logs, _ = outputs["sleep-forever"]
        check("sleep-forever", code is None, "still running after 5 s, killed")
        for name in ("participant", "bad-output"):
            code, logs, predictions = outputs[name]
            check(f"{name} run", code == 0, f"exit {code}; {logs.splitlines()[-1] if logs else ''}")
            scores_dir = root / name / "scores"
            scores_dir.mkdir()
            scores_dir.chmod(0o777)
            code, logs = run_sandboxed(
                client,
                IMAGES["scoring"].tag,
                {
                    "/mnt/predictions": (predictions, "ro"),
                    "/mnt/reference": (ref_dir, "ro"),
                    "/mnt/out": (scores_dir, "rw"),
                },
            )
            if name == "participant":
                scores = json.loads((scores_dir / "scores.json").read_text()) if code == 0 else {}
                expected = code == 0 and set(scores) == {"accuracy", "macro_f1"}
                check("scoring of participant", expected, json.dumps(scores))
            else:
                check("scoring of bad-output", code == 2 and not (scores_dir / "scores.json").exists(), logs)
    return ok


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Build the evalbox example images.")
    parser.add_argument("--rebuild", action="store_true", help="build even when the tag exists")
    parser.add_argument("--verify", action="store_true", help="run the images in the sandbox on the demo data")
    parser.add_argument("--python-base", default=PYTHON_BASE, help=f"base of the Python images ({PYTHON_BASE})")
    parser.add_argument("--busybox-base", default=BUSYBOX_BASE, help=f"base of the shell images ({BUSYBOX_BASE})")
    args = parser.parse_args()
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        print(f"error: no Docker engine answers ({exc}); install and start Docker first", file=sys.stderr)
        return 1
    build_all(client, rebuild=args.rebuild, bases={"python": args.python_base, "busybox": args.busybox_base})
    if args.verify and not verify(client):
        print("error: an example image did not behave as expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
