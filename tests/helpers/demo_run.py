"""``examples/demo.py`` as a running process for the tests: its output line by line, its process tree."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker
import docker.errors

from tests.helpers.paths import ROOT
from tests.helpers.private_services import free_port

DEMO = ROOT / "examples" / "demo.py"


def demo_env(var_dir: Path) -> dict[str, str]:
    """The demo's environment in a test: its own var dir, the embedded database and broker."""
    env = {**os.environ, "EVALBOX_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def demo_command(*extra: str, registry_port: int | None = None) -> list[str]:
    """The demo on free ports (the registry's on ``registry_port`` if given)."""
    return [sys.executable, str(DEMO), "--port", str(free_port()), "--registry-port",
            str(registry_port or free_port()), *extra]


class RunningDemo:
    """A started demo (or a ``make`` running it) whose output lines a thread collects."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        """Wait until a line contains ``text``; fail with the output so far if it ends or times out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"the demo ended before {text!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if text in line:
                return
        raise AssertionError(f"no {text!r} within {timeout:.0f} s:\n" + "\n".join(self.lines))

    def output(self) -> str:
        """Every line read so far, and the rest once the process has ended."""
        while (line := self._queue.get()) is not None:
            self.lines.append(line)
        return "\n".join(self.lines)


def _stat(pid: int) -> tuple[int, str, str] | None:
    """``(ppid, state, start time)`` of a live process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every live process below ``root`` (whatever its session): pid -> start time."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append((int(entry.name), stat[2]))
    found: dict[int, str] = {}
    pending = [root]
    while pending:
        for pid, started in parents.get(pending.pop(), []):
            found[pid] = started
            pending.append(pid)
    return found


def still_alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` (pid -> start time) that still run (zombies and reused pids do not count)."""
    return [pid for pid, started in processes.items()
            if (stat := _stat(pid)) is not None and stat[2] == started and stat[1] != "Z"]


def remove_images(engine: docker.DockerClient, *prefixes: str) -> list[str]:
    """Remove every image with a tag or digest starting with one of ``prefixes``; the references removed."""
    removed = []
    # The engine's listing alone: docker-py's ``images.list()`` inspects each image it lists, and an image that
    # another test removes in between fails that inspection.
    for image in engine.api.images():
        for reference in [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]:
            if reference.startswith(prefixes):
                with contextlib.suppress(docker.errors.ImageNotFound):
                    engine.images.remove(reference, noprune=False)
                removed.append(reference)
    return removed
