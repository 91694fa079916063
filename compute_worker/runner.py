"""Run one sandboxed container to its end, whatever that end is.

:func:`run_container` creates and starts the container and then goes through its steps:
:func:`_wait_for_end` enforces the wall-clock limit itself (``wait`` with a short timeout in a
loop), calls a heartbeat every few seconds (which can cancel the run) and watches the output
directory (:class:`OutputCap`); :func:`_stop` kills what still runs; :func:`_read_final_state`
asks the engine how it ended (and, for a run that failed by itself, its event log:
:mod:`engine_events`); :func:`_settle` completes the outcome from what the worker saw itself.
Meanwhile :class:`followers.Followers` streams the output into a bounded head+tail log (reading
the program's ``{"evalbox": ...}`` lines) and samples its resources; a watcher sees them every
tick (live log chunks, heartbeats). The container is always removed. :func:`reap` removes the
containers a crashed worker or a previous attempt left behind.
"""

from __future__ import annotations

import contextlib
import logging
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
import urllib3.exceptions

from . import engine_events, trees
from .followers import Followers, LiveRun
from .program_output import ProgramState
from .sandbox import LABEL_SUBMISSION, LABEL_WORKER

logger = logging.getLogger(__name__)

#: The wait loop's tick: how often the time limit, output size and watcher are checked.
TICK_S = 0.5
#: How often the output directory's size is measured while the container runs.
OUTPUT_CHECK_S = 1.0

#: ``watch(live)``: called every tick while a container runs with what it showed so far
#: (``live.elapsed_s`` set); ``False`` cancels the run.
Watch = Callable[[LiveRun], bool]


@dataclass
class RunOutcome:
    """How a container run ended."""

    exit_code: int | None = None
    duration_s: float = 0.0
    timed_out: bool = False
    oom_killed: bool = False
    vanished: bool = False
    #: Ended non-zero by itself, but the engine's log shows it was stopped from outside (an engine
    #: restart, ``docker kill``): :func:`engine_events.logged_end`.
    stopped_from_outside: bool = False
    #: The engine could not be reached at some point of the run (a restart, or a dropped connection).
    engine_lost: bool = False
    cancelled: bool = False
    output_exceeded: bool = False
    output_files_exceeded: bool = False
    output_too_deep: bool = False
    peak_memory_bytes: int | None = None
    cpu_seconds: float | None = None
    resources: dict[str, list[float]] = field(default_factory=dict)
    program: ProgramState = field(default_factory=ProgramState)
    log: str = ""
    log_truncated: bool = False
    error: str = ""


@dataclass(frozen=True)
class Usage:
    """What an output directory holds as measured: bytes of regular files, entries of any kind, too deep or not."""

    bytes: int
    entries: int
    too_deep: bool = False


def directory_usage(root: Path, limit: int | None = None, max_entries: int | None = None,
                    max_depth: int = trees.MAX_DEPTH) -> Usage:
    """The :class:`Usage` of the tree under ``root`` (:func:`trees.walk`: links never followed, any shape).

    Measuring stops as soon as the bytes pass ``limit``, the entries pass ``max_entries`` or a
    directory lies deeper than ``max_depth``; what cannot be read (the tree changes meanwhile)
    is skipped.
    """
    total = count = 0
    try:
        for entry in trees.walk(root, max_depth=max_depth, max_entries=max_entries, strict=False):
            count += 1
            if stat.S_ISDIR(entry.info.st_mode) and entry.depth >= max_depth:
                return Usage(total, count, too_deep=True)
            if stat.S_ISREG(entry.info.st_mode):
                total += entry.info.st_size
                if limit is not None and total > limit:
                    break
    except trees.TreeTooLarge:
        count += 1
    except OSError:  # the root itself went away
        pass
    return Usage(total, count)


@dataclass(frozen=True)
class OutputCap:
    """The output directory of a run and its caps, checked while the container runs and after."""

    directory: Path
    max_bytes: int
    max_entries: int | None = None

    def _mark(self, outcome: RunOutcome, usage: Usage) -> bool:
        """Mark ``outcome`` with the caps ``usage`` passes; whether it passes any."""
        outcome.output_exceeded = outcome.output_exceeded or usage.bytes > self.max_bytes
        outcome.output_files_exceeded = (outcome.output_files_exceeded
                                         or (self.max_entries is not None and usage.entries > self.max_entries))
        outcome.output_too_deep = outcome.output_too_deep or usage.too_deep
        return outcome.output_exceeded or outcome.output_files_exceeded or outcome.output_too_deep

    def _usage(self) -> Usage:
        return directory_usage(self.directory, self.max_bytes, self.max_entries)

    def breached(self, outcome: RunOutcome) -> bool:
        """While the container runs: whether a cap is passed (marked on ``outcome``)."""
        return self._mark(outcome, self._usage())

    def check_after_exit(self, outcome: RunOutcome) -> None:
        """After the run: mark ``outcome`` when what the container left passes a cap."""
        if outcome.output_exceeded or outcome.output_files_exceeded or outcome.output_too_deep:
            return
        self._mark(outcome, self._usage())


def _read_timed_out(exc: requests.exceptions.ConnectionError) -> bool:
    """Whether ``exc`` is a read timeout: requests raises one met while reading a body as ``ConnectionError``,
    and the engine answers a wait's headers at once and its body at the exit (so every tick's timeout)."""
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in exc.args)


def _wait_tick(container: Any, outcome: RunOutcome, remaining_s: float) -> bool:
    """Wait up to one tick for the container to end; whether it did (exited or vanished)."""
    try:
        result = container.wait(timeout=max(0.05, min(TICK_S, remaining_s)))
    except docker.errors.NotFound:
        outcome.vanished = True
        return True
    except requests.exceptions.ReadTimeout:
        return False  # still running: the wait's own timeout
    except requests.exceptions.ConnectionError as exc:
        if _read_timed_out(exc):
            return False  # the same timeout, met while the answer's body was read
        outcome.engine_lost = True
        time.sleep(TICK_S)  # the engine is unreachable (restarting?): don't spin, keep the clock
        return False
    outcome.exit_code = int(result.get("StatusCode", -1))
    return True


def _wait_for_end(container: Any, outcome: RunOutcome, *, started: float, time_limit_s: float,
                  cap: OutputCap | None, watch: Watch | None, live: LiveRun) -> None:
    """Wait until the container exits or vanishes, its time or output room runs out, or the watcher cancels."""
    last_output_check = started
    while True:
        remaining = time_limit_s - (time.monotonic() - started)
        if remaining <= 0:
            outcome.timed_out = True
            return
        if _wait_tick(container, outcome, remaining):
            return
        now = time.monotonic()
        if cap is not None and now - last_output_check >= OUTPUT_CHECK_S:
            last_output_check = now
            if cap.breached(outcome):
                return
        live.elapsed_s = now - started
        if watch is not None and not watch(live):
            outcome.cancelled = True
            return


def _stop(container: Any, outcome: RunOutcome) -> None:
    """Kill the container unless it ended by itself, then wait briefly for its exit code."""
    if outcome.exit_code is not None or outcome.vanished:
        return
    try:
        container.kill()
    except docker.errors.NotFound:
        outcome.vanished = True
    except docker.errors.APIError as exc:  # already stopped between the checks
        logger.debug("kill: %s", exc)
    with contextlib.suppress(docker.errors.APIError, requests.RequestException):
        result = container.wait(timeout=10)
        outcome.exit_code = int(result.get("StatusCode", -1))


def _read_final_state(container: Any, outcome: RunOutcome, *, failed_by_itself: bool) -> None:
    """What the engine says of the stopped container: killed for memory, a runtime error, or gone;
    for a run that ended non-zero by itself, also what its event log says ended it."""
    if outcome.vanished:
        return
    try:
        container.reload()
    except docker.errors.NotFound:
        outcome.vanished = True
        return
    state = container.attrs.get("State", {})
    outcome.oom_killed = bool(state.get("OOMKilled"))
    if state.get("Error"):
        outcome.error = str(state["Error"])
    if failed_by_itself:
        end = engine_events.logged_end(container.client.api, container.id, state, engine_lost=outcome.engine_lost)
        outcome.stopped_from_outside = end.from_outside
        outcome.oom_killed = outcome.oom_killed or end.oom_killed


def _settle(outcome: RunOutcome, *, peak_bytes: int, memory_limit: int | None, cap: OutputCap | None) -> None:
    """Complete ``outcome`` from what the worker saw itself.

    A vanished container has no exit code; a SIGKILL (137) with the peak memory at the limit is
    an OOM kill the engine did not flag; the output left behind is measured against its caps.
    """
    if outcome.vanished:
        outcome.exit_code = None
    if (not outcome.oom_killed and outcome.exit_code == 137 and not outcome.timed_out and not outcome.cancelled
            and memory_limit and peak_bytes >= 0.9 * memory_limit):
        outcome.oom_killed = True
    if cap is not None:
        cap.check_after_exit(outcome)


def run_container(
    client: docker.DockerClient,
    create_kwargs: dict[str, Any],
    *,
    time_limit_s: float,
    log_max_bytes: int,
    watch: Watch | None = None,
    output_dir: Path | None = None,
    output_max_bytes: int | None = None,
    output_max_entries: int | None = None,
    gpu_ids: tuple[str, ...] = (),
    dispose: Callable[[Any], None] | None = None,
    before_start: Callable[[], None] | None = None,
    after_start: Callable[[], None] | None = None,
) -> RunOutcome:
    """Run a container created from ``create_kwargs`` and return how it ended.

    ``watch(live)`` is called every tick with what the container showed so far; ``False`` cancels the run
    (killed, :attr:`RunOutcome.cancelled` set). ``gpu_ids`` are the run's GPUs, sampled with the other
    resources. ``output_dir`` is watched while the container runs: past ``output_max_bytes`` of regular
    files, or ``output_max_entries`` entries of any kind (they cost inodes, not bytes), it is killed.
    The container is removed before this returns, or, once stopped, handed to ``dispose`` if given (which
    must remove it: the job does so after its result is reported, off the critical path). ``before_start()``
    is called between the creation and the start, ``after_start()`` once it started, before the time limit's
    clock starts; what either raises propagates, the container removed.
    """
    outcome = RunOutcome()
    cap = (OutputCap(output_dir, output_max_bytes, output_max_entries)
           if output_dir is not None and output_max_bytes is not None else None)
    container = followers = None
    ended = False  # stopped for sure: only then may its removal wait for ``dispose``
    started = time.monotonic()
    try:
        try:
            container = _create_and_start(client, create_kwargs, before_start)
        except docker.errors.APIError as exc:
            outcome.error = f"The container could not be started: {exc.explanation or exc}"
            return outcome
        followers = Followers(container, log_max_bytes, gpu_ids)
        if after_start is not None:
            after_start()
        started = time.monotonic()
        _wait_for_end(container, outcome, started=started, time_limit_s=time_limit_s, cap=cap, watch=watch,
                      live=followers.live)
        outcome.duration_s = time.monotonic() - started
        failed_by_itself = outcome.exit_code not in (None, 0)  # before the worker's own kill, if any
        _stop(container, outcome)
        ended = True
        _read_final_state(container, outcome, failed_by_itself=failed_by_itself)
        followers.finish()
        _settle(outcome, peak_bytes=followers.live.resources.peak_memory, memory_limit=create_kwargs.get("mem_limit"),
                cap=cap)
        return outcome
    finally:
        if container is not None:
            (dispose if dispose is not None and ended else remove_container)(container)
        if followers is not None:
            followers.record(outcome)
        if not outcome.duration_s:
            outcome.duration_s = time.monotonic() - started


def _create_and_start(client: docker.DockerClient, create_kwargs: dict[str, Any],
                      before_start: Callable[[], None] | None) -> Any:
    """A container created from ``create_kwargs`` and started, ``before_start()`` in between.

    What the start or ``before_start`` raises propagates, the container removed.
    """
    container = client.containers.create(**create_kwargs)
    try:
        if before_start is not None:
            before_start()
        container.start()
    except BaseException:
        remove_container(container)
        raise
    return container


def remove_container(container: Any) -> None:
    """Remove ``container`` (killed first if it still runs); one already gone or an unreachable engine is ignored."""
    with contextlib.suppress(docker.errors.APIError, requests.RequestException):
        container.remove(force=True)


def reap(client: docker.DockerClient, worker_id: str, submission_id: int | None = None) -> list[str]:
    """Remove this worker's labelled containers, only those of ``submission_id`` when given; return their ids.

    At start-up it removes what a crash of the worker left behind; before a run, what a dead
    task of the same submission left.
    """
    labels = [f"{LABEL_WORKER}={worker_id}"]
    if submission_id is not None:
        labels.append(f"{LABEL_SUBMISSION}={submission_id}")
    removed = []
    # A container removed between the engine's listing and docker-py's inspection of it is left out.
    for container in client.containers.list(all=True, filters={"label": labels}, ignore_removed=True):
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
            removed.append(container.id)
    return removed
