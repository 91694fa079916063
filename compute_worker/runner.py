"""Run one sandboxed container to its end, whatever that end is.

:func:`run_container` creates and starts the container, enforces the wall-clock limit itself
(``wait`` with a short timeout in a loop, then ``kill``), calls a heartbeat every few seconds
(which can cancel the run), watches the output directory's size, streams the logs into a
bounded head+tail buffer, samples peak memory, and classifies the end. The container is
always removed.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

logger = logging.getLogger(__name__)

#: The wait loop's tick: how often the time limit, output size and heartbeat are checked.
TICK_S = 0.5
#: Peak memory is sampled only for runs longer than this (see :func:`_sample_memory`).
STATS_DELAY_S = 1.0
#: How often the output directory's size is measured while the container runs.
OUTPUT_CHECK_S = 1.0


class CappedLog:
    """Keeps the first and last ``cap // 2`` bytes of a stream; memory never exceeds ``cap``."""

    def __init__(self, cap_bytes: int) -> None:
        self.head_cap = cap_bytes // 2
        self.tail_cap = cap_bytes - self.head_cap
        self.head = bytearray()
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_size = 0
        self.total = 0
        self._lock = threading.Lock()

    def write(self, chunk: bytes) -> None:
        """Append a chunk."""
        with self._lock:
            self.total += len(chunk)
            room = self.head_cap - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if not chunk:
                return
            if len(chunk) > self.tail_cap:
                chunk = chunk[-self.tail_cap:]
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size > self.tail_cap:
                first = self.tail.popleft()
                excess = self.tail_size - self.tail_cap
                if len(first) > excess:
                    self.tail.appendleft(first[excess:])
                    self.tail_size -= excess
                else:
                    self.tail_size -= len(first)

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped."""
        return self.total > len(self.head) + self.tail_size

    def text(self) -> str:
        """The kept log as text, with a marker where bytes were dropped."""
        with self._lock:
            tail = b"".join(self.tail)
            omitted = self.total - len(self.head) - len(tail)
            head = bytes(self.head)
        if omitted > 0:
            marker = f"\n[... {omitted} bytes of log omitted by evalbox ...]\n".encode()
            data = head + marker + tail
        else:
            data = head + tail
        return data.decode("utf-8", "replace").replace("\x00", "\ufffd")


@dataclass
class RunOutcome:
    """How a container run ended."""

    exit_code: int | None = None
    duration_s: float = 0.0
    timed_out: bool = False
    oom_killed: bool = False
    vanished: bool = False
    cancelled: bool = False
    output_exceeded: bool = False
    output_files_exceeded: bool = False
    peak_memory_bytes: int | None = None
    log: str = ""
    log_truncated: bool = False
    error: str = ""

    @property
    def succeeded(self) -> bool:
        """Exit code 0 and nothing else went wrong."""
        return (self.exit_code == 0 and not (self.timed_out or self.oom_killed or self.vanished or self.cancelled
                                             or self.output_exceeded or self.output_files_exceeded or self.error))


def directory_usage(root: Path, limit: int | None = None, max_entries: int | None = None) -> tuple[int, int]:
    """``(bytes of regular files, entries of any kind)`` under ``root``, links never followed.

    Counting stops as soon as the bytes pass ``limit`` or the entries pass ``max_entries``.
    """
    total = 0
    count = 0
    stack = [str(root)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    count += 1
                    if max_entries is not None and count > max_entries:
                        return total, count
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        stack.append(entry.path)
                    elif stat.S_ISREG(info.st_mode):
                        total += info.st_size
                        if limit is not None and total > limit:
                            return total, count
        except OSError:
            continue
    return total, count


def directory_size(root: Path, limit: int | None = None) -> int:
    """Bytes of regular files under ``root`` (links never followed); stops counting past ``limit``."""
    return directory_usage(root, limit)[0]


def _read_logs(container: Any, log: CappedLog) -> None:
    try:
        for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
            log.write(chunk)
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError) as exc:
        logger.debug("log stream ended: %s", exc)


def _sample_memory(container: Any, peak: list[int], stop: threading.Event) -> None:
    """Record the highest memory usage the stats stream reports (cgroup v1 ``max_usage``).

    The stream sends a sample about every second and never ends by itself for a stopped
    container: the loop ends on ``stop`` or an empty sample. It is opened only once the
    container has run for :data:`STATS_DELAY_S`: a quicker run would get no sample anyway, and
    the stats request costs the engine CPU that quick submissions compete for.
    """
    if stop.wait(STATS_DELAY_S):
        return
    try:
        for sample in container.stats(stream=True, decode=True):
            memory = sample.get("memory_stats") or {}
            value = memory.get("max_usage") or memory.get("usage") or 0
            if value:
                peak[0] = max(peak[0], int(value))
            if stop.is_set() or (not sample.get("pids_stats") and not memory):
                break
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError) as exc:
        logger.debug("stats stream ended: %s", exc)


def _final_log(container: Any, followed: CappedLog, cap: int) -> CappedLog:
    """The more complete of the followed stream and a fresh read of the stopped container's log.

    Docker can close a follow stream of a container that just exited before sending its last
    lines; a fresh read after the exit has them. Docker keeps at most
    :data:`sandbox.DOCKER_LOG_MAX_SIZE` on disk, so for a log flood the followed stream
    (which saw every byte) is the one kept.
    """
    fresh = CappedLog(cap)
    # After a flood only the end is missing: ask Docker for the last lines instead of re-reading
    # its whole log file (up to 20 MB, seconds of work for the engine) just to keep the tail.
    tail: int | str = max(1000, cap) if followed.truncated else "all"
    try:
        for chunk in container.logs(stream=True, follow=False, stdout=True, stderr=True, tail=tail):
            fresh.write(chunk)
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError):
        return followed
    if fresh.total >= followed.total:
        return fresh
    # Docker rotated the log: the follow stream has the true head, the fresh read the true end.
    merged = CappedLog(cap)
    merged.head = followed.head
    merged.tail = fresh.tail if fresh.tail_size or not fresh.head else collections.deque([bytes(fresh.head)])
    merged.tail_size = sum(len(chunk) for chunk in merged.tail)
    merged.total = followed.total
    return merged


def run_container(
    client: docker.DockerClient,
    create_kwargs: dict[str, Any],
    *,
    time_limit_s: float,
    log_max_bytes: int,
    heartbeat: Callable[[float], bool] | None = None,
    heartbeat_s: float = 5.0,
    output_dir: Path | None = None,
    output_max_bytes: int | None = None,
    output_max_entries: int | None = None,
) -> RunOutcome:
    """Run a container created from ``create_kwargs`` and return how it ended.

    ``heartbeat(elapsed_s)`` is called every ``heartbeat_s`` seconds; returning ``False``
    cancels the run (the container is killed, :attr:`RunOutcome.cancelled` is set).
    ``output_dir`` is watched while the container runs: past ``output_max_bytes`` of regular
    files, or ``output_max_entries`` entries of any kind (empty files and directories cost
    the host inodes and the collection time, not bytes), the container is killed.
    """
    outcome = RunOutcome()
    log = CappedLog(log_max_bytes)
    peak = [0]
    stop_stats = threading.Event()
    container = None
    log_thread: threading.Thread | None = None
    started = time.monotonic()
    try:
        try:
            container = client.containers.create(**create_kwargs)
            container.start()
        except docker.errors.APIError as exc:
            outcome.error = f"The container could not be started: {exc.explanation or exc}"
            return outcome
        started = time.monotonic()
        log_thread = threading.Thread(target=_read_logs, args=(container, log), daemon=True)
        log_thread.start()
        threading.Thread(target=_sample_memory, args=(container, peak, stop_stats), daemon=True).start()
        last_beat = started
        last_output_check = started
        while True:
            elapsed = time.monotonic() - started
            remaining = time_limit_s - elapsed
            if remaining <= 0:
                outcome.timed_out = True
                break
            try:
                result = container.wait(timeout=max(0.05, min(TICK_S, remaining)))
                outcome.exit_code = int(result.get("StatusCode", -1))
                break
            except docker.errors.NotFound:
                outcome.vanished = True
                break
            except requests.exceptions.ReadTimeout:
                pass  # still running: the wait's own timeout
            except requests.exceptions.ConnectionError:
                time.sleep(TICK_S)  # the engine is unreachable (restarting?): don't spin, keep the clock
            now = time.monotonic()
            if output_dir is not None and output_max_bytes is not None and now - last_output_check >= OUTPUT_CHECK_S:
                last_output_check = now
                size, entries = directory_usage(output_dir, output_max_bytes, output_max_entries)
                if size > output_max_bytes:
                    outcome.output_exceeded = True
                    break
                if output_max_entries is not None and entries > output_max_entries:
                    outcome.output_files_exceeded = True
                    break
            if heartbeat is not None and now - last_beat >= heartbeat_s:
                last_beat = now
                if not heartbeat(now - started):
                    outcome.cancelled = True
                    break
        outcome.duration_s = time.monotonic() - started
        if outcome.exit_code is None and not outcome.vanished:
            try:
                container.kill()
            except docker.errors.NotFound:
                outcome.vanished = True
            except docker.errors.APIError as exc:  # already stopped between the checks
                logger.debug("kill: %s", exc)
            with contextlib.suppress(docker.errors.APIError, requests.RequestException):
                result = container.wait(timeout=10)
                outcome.exit_code = int(result.get("StatusCode", -1))
        if not outcome.vanished:
            try:
                container.reload()
                state = container.attrs.get("State", {})
                outcome.oom_killed = bool(state.get("OOMKilled"))
                if state.get("Error"):
                    outcome.error = str(state["Error"])
            except docker.errors.NotFound:
                outcome.vanished = True
        stop_stats.set()
        log_thread.join(timeout=10)
        log = _final_log(container, log, log_max_bytes)
        if outcome.vanished:
            outcome.exit_code = None
        memory_limit = create_kwargs.get("mem_limit")
        if (not outcome.oom_killed and outcome.exit_code == 137 and not outcome.timed_out and not outcome.cancelled
                and memory_limit and peak[0] >= 0.9 * memory_limit):
            outcome.oom_killed = True
        if (output_dir is not None and output_max_bytes is not None
                and not (outcome.output_exceeded or outcome.output_files_exceeded)):
            size, entries = directory_usage(output_dir, output_max_bytes, output_max_entries)
            # 153 = 128 + SIGXFSZ: a write hit the fsize ulimit, set to the output cap.
            outcome.output_exceeded = size > output_max_bytes or (outcome.exit_code == 153 and size >= output_max_bytes)
            outcome.output_files_exceeded = output_max_entries is not None and entries > output_max_entries
        return outcome
    finally:
        if container is not None:
            with contextlib.suppress(docker.errors.APIError, requests.RequestException):
                container.remove(force=True)
        outcome.peak_memory_bytes = peak[0] or None
        outcome.log = log.text()
        outcome.log_truncated = log.truncated
        if not outcome.duration_s:
            outcome.duration_s = time.monotonic() - started


def reap_orphans(client: docker.DockerClient, worker_id: str) -> list[str]:
    """Remove every container labelled as this worker's (left behind by a crash); return their ids."""
    from .sandbox import LABEL_WORKER

    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL_WORKER}={worker_id}"}):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
            removed.append(container.id)
    return removed
