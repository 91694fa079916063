"""gVisor (runsc) for real: its pids limits, and ``--check`` sees it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from compute_worker import protocol, sandbox
from tests.helpers.battery import Battery

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
    env = {**os.environ, "EVALBOX_RUNTIME": battery.runtime}
    done = subprocess.run([sys.executable, "-m", "compute_worker", "--check"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "runtimes: " in done.stdout and "runsc" in done.stdout and "check: OK" in done.stdout
    assert f'"runtime": "{battery.runtime}"' in done.stdout
    config = dataclasses.replace(battery.config, runtime="gvisor-missing")
    assert config.runtime not in done.stdout
