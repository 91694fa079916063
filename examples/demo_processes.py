"""The processes ``make demo`` starts, and how they all stop: Ctrl-C, SIGTERM, SIGHUP or its parent's death.

Each process runs in a session of its own (so a Ctrl-C in the terminal reaches the demo only, which
then stops them in order) and is stopped by signalling its whole process group, which holds the
Celery pool's children too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The signals that stop the demo besides Ctrl-C: a process manager's stop, a closed terminal.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class Stopped(SystemExit):
    """A stop signal arrived: unwinds ``main`` like Ctrl-C, so every ``finally`` runs."""


def _raise_stopped(signum: int, _frame: object) -> None:
    ignore_stop_signals()
    raise Stopped(128 + signum)


def ignore_stop_signals() -> None:
    """Ignore Ctrl-C and the stop signals: once stopping has begun, nothing may interrupt it."""
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        signal.signal(signum, signal.SIG_IGN)


def stop_on_signals() -> None:
    """Make SIGTERM and SIGHUP stop the demo, and the death of its parent too.

    ``make`` does not pass a SIGTERM on to its recipe, so a process manager stopping ``make demo``
    only ends ``make``: the kernel then sends this process a SIGTERM (``PR_SET_PDEATHSIG``, Linux).
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stopped)
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's death goes unnoticed
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        raise Stopped(128 + signal.SIGTERM)


class Processes:
    """The processes the demo started, stopped together."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, *command: str) -> None:
        """Start ``command`` in a session of its own, with its output in ``<log_dir>/<name>.log``."""
        with open(self.log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.running.append((name, process))

    def check(self) -> None:
        """Exit with the log's tail if a process died."""
        for name, process in self.running:
            if process.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"evalbox demo: the {name} process exited ({process.returncode}):\n{tail}")

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is left after 20 s."""
        for _, process in self.running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process in self.running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in time: killed", flush=True)
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # The group may outlive its leader (a Celery pool child finishing a task).
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(process.pid, signum)


@contextmanager
def started(env: dict[str, str], log_dir: Path) -> Iterator[Processes]:
    """Processes stopped on exit, whatever happens (Ctrl-C, SIGTERM, SIGHUP included)."""
    processes = Processes(env, log_dir)
    try:
        yield processes
    finally:
        ignore_stop_signals()
        print("evalbox demo: stopping the site and the workers", flush=True)
        processes.stop()
