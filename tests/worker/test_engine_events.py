"""A container stopped from outside (an engine restart, ``docker kill``) is not the program's failure (real Docker)."""

from __future__ import annotations

import threading

import pytest
import requests
import urllib3.exceptions

from compute_worker import engine_events, protocol, runner, sandbox
from compute_worker.classification import classify_run
from compute_worker.protocol import FailureReason
from tests.helpers.sandbox_runs import run_script
from tests.helpers.timing import wait_for

pytestmark = pytest.mark.docker

LIMITS = protocol.Limits(time_limit_s=20, memory_mb=128, pids=64, log_max_kb=64, output_max_mb=8)
#: Exits 3 on SIGTERM, as a program that cleans up and reports its interruption would.
INTERRUPTIBLE = "trap 'echo interrupted; exit 3' TERM\necho started\nsleep 30 &\nwait\n"


def _classified(outcome) -> FailureReason | None:
    failure = classify_run(outcome, limits=LIMITS, runtime="runc", scoring=False)
    return failure.reason if failure else None


def test_a_program_that_fails_by_itself_is_its_own_failure(docker_client, worker_config, busybox):
    outcome = run_script(docker_client, worker_config, "fails-by-itself", "echo failing\nexit 3\n", limits=LIMITS)
    assert (outcome.exit_code, outcome.stopped_from_outside) == (3, False)
    assert _classified(outcome) == FailureReason.NON_ZERO_EXIT


def test_a_program_stopped_by_docker_kill_is_a_worker_error(docker_client, worker_config, busybox):
    label = f"{sandbox.LABEL_WORKER}={worker_config.worker_id}"

    def kill_from_outside() -> None:  # an operator's `docker kill -s TERM`, as a daemon shutdown sends
        running = wait_for(lambda: docker_client.containers.list(filters={"label": label}), 30, "the container")
        wait_for(lambda: "started" in running[0].logs().decode(), 30, "the program to start")
        running[0].kill(signal="TERM")

    killer = threading.Thread(target=kill_from_outside)
    killer.start()
    outcome = run_script(docker_client, worker_config, "interruptible", INTERRUPTIBLE, limits=LIMITS)
    killer.join()
    assert outcome.exit_code == 3 and "interrupted" in outcome.log, outcome
    assert outcome.stopped_from_outside
    failure = classify_run(outcome, limits=LIMITS, runtime="runc", scoring=False)
    assert failure.reason == FailureReason.WORKER_ERROR
    assert failure.message == ("Your program's container was stopped by the worker's Docker engine (a restart) "
                               "or from outside the worker while it ran: its exit code is not the program's own.")


@pytest.fixture
def failed_by_itself(docker_client, busybox):
    """A container that exited 3 by itself, and its inspected ``State``."""
    container = docker_client.containers.run(busybox, ["sh", "-c", "exit 3"], detach=True, network_mode="none")
    try:
        container.wait(timeout=30)
        container.reload()
        yield container, container.attrs["State"]
    finally:
        container.remove(force=True)


def test_a_log_without_the_start_means_a_restart_only_when_the_engine_was_lost(docker_client, failed_by_itself,
                                                                               mocker):
    container, state = failed_by_itself
    for engine_lost in (False, True):
        assert engine_events.logged_end(docker_client.api, container.id, state,
                                        engine_lost=engine_lost) == engine_events.LoggedEnd()
    # Fault injection: the log no longer holds the start, as after a restart or on a busy engine's ring.
    mocker.patch.object(docker_client.api, "events", side_effect=lambda *args, **kwargs: iter([]))
    assert engine_events.logged_end(docker_client.api, container.id, state, engine_lost=True).from_outside
    assert engine_events.logged_end(docker_client.api, container.id, state,
                                    engine_lost=False) == engine_events.LoggedEnd()  # the exit code is trusted


def test_an_engine_that_cannot_be_asked_is_not_trusted(docker_client, failed_by_itself, mocker):
    container, state = failed_by_itself
    mocker.patch.object(docker_client.api, "events",  # fault injection
                        side_effect=requests.exceptions.ConnectionError("engine gone"))
    assert engine_events.logged_end(docker_client.api, container.id, state, engine_lost=False).from_outside


def test_a_container_that_never_started_has_nothing_to_ask(docker_client, busybox):
    container = docker_client.containers.create(busybox, "true")
    try:
        end = engine_events.logged_end(docker_client.api, container.id, container.attrs["State"], engine_lost=False)
        assert end == engine_events.LoggedEnd()
    finally:
        container.remove(force=True)


def test_engine_timestamps_keep_their_nanoseconds():
    assert engine_events._unix_time("2026-12-03T07:22:01.123456789Z") == pytest.approx(1796282521.123456789)
    assert engine_events._unix_time("0001-01-01T00:00:00Z") is None
    assert engine_events._unix_time("") is None


@pytest.mark.parametrize("runtime", ["runc", "runsc"])
def test_a_kernel_oom_kill_is_in_the_log_when_the_flag_came_late(docker_client, busybox, runtime):
    # `tail` keeps a whole line in memory: one 1 GB line without newlines balloons past 48 MB.
    container = docker_client.containers.run(busybox, ["sh", "-c", "head -c 1000m /dev/zero | tail -n 1"],
                                             detach=True, network_mode="none", mem_limit="48m",
                                             memswap_limit="48m", runtime=runtime)
    try:
        assert container.wait(timeout=60)["StatusCode"] == 137
        container.reload()
        state = {**container.attrs["State"], "OOMKilled": False}  # as read before the engine set the flag
        assert engine_events.logged_end(docker_client.api, container.id, state,
                                        engine_lost=False) == engine_events.LoggedEnd(oom_killed=True)
    finally:
        container.remove(force=True)


def test_a_wait_cut_by_the_engine_marks_the_run_and_a_timed_out_one_does_not(mocker):
    container = mocker.Mock()  # fault injection: the wait times out while reading, then the engine drops it
    # What requests raises when the wait's own timeout runs out while the engine's answer is read.
    timed_out = requests.exceptions.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/wait", "timed out"))
    container.wait.side_effect = [timed_out, {"StatusCode": 2}]
    outcome = runner.RunOutcome()
    assert runner._wait_tick(container, outcome, 5.0) is False
    assert runner._wait_tick(container, outcome, 5.0) is True
    assert not outcome.engine_lost and outcome.exit_code == 2
    container.wait.side_effect = [requests.exceptions.ConnectionError("engine gone"), {"StatusCode": 2}]
    outcome = runner.RunOutcome()
    assert runner._wait_tick(container, outcome, 5.0) is False
    assert runner._wait_tick(container, outcome, 5.0) is True
    assert outcome.engine_lost and outcome.exit_code == 2
