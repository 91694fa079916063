"""gVisor (runsc) for real: its pids limits, and ``--check`` sees the runtime (and its absence)."""

from __future__ import annotations

import pytest

from compute_worker import protocol, sandbox
from tests.helpers.battery import RUNTIMES, Battery
from tests.helpers.stub_engine import stub_engine
from tests.helpers.worker_command import run_check

pytestmark = pytest.mark.docker


def test_runsc_keeps_the_phase_pids_limit_inside(battery: Battery) -> None:
    kwargs = sandbox.container_kwargs(protocol.Limits(pids=64), image="x", mounts=[], config=battery.config,
                                      submission_id=1, role="participant")
    nproc = [u for u in kwargs["ulimits"] if u["Name"] == "nproc"]
    if battery.runtime == "runsc":
        assert kwargs["pids_limit"] >= sandbox.RUNSC_PIDS_FLOOR
        assert [(u["Soft"], u["Hard"]) for u in nproc] == [(64, 64)]
    else:
        assert kwargs["pids_limit"] == 64 and nproc == []  # per-uid on the host under runc: not used


def test_check_command_sees_the_runtime(battery: Battery) -> None:
    done = run_check(EVALBOX_RUNTIME=battery.runtime)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "runtimes: " in done.stdout and "runsc" in done.stdout and "check: OK" in done.stdout
    assert f'"runtime": "{battery.runtime}"' in done.stdout
    # On an engine without that runtime the same configuration fails the check, which names it.
    others = [name for name in RUNTIMES if name != battery.runtime]
    with stub_engine(others) as host:
        lacking = run_check(EVALBOX_RUNTIME=battery.runtime, DOCKER_HOST=host)
    assert lacking.returncode == 1, lacking.stdout + lacking.stderr
    assert (f"PROBLEM: EVALBOX_RUNTIME={battery.runtime} but the Docker engine has no such runtime "
            f"(it has: {', '.join(others)}).") in lacking.stdout
    assert "check: FAILED" in lacking.stdout
