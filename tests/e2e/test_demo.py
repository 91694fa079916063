"""``make demo``'s driver: the whole mission from no images, its stop, its answer without Docker."""

from __future__ import annotations

import os
import shlex
import signal
import stat
import subprocess
import sys
import time
import uuid

import pytest

from tests.helpers.demo_run import DEMO, RunningDemo, demo_command, demo_env, descendants, remove_images, still_alive
from tests.helpers.paths import ROOT
from tests.helpers.private_services import free_port


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGTERM to make"])
def test_a_stop_signal_stops_every_process_the_demo_started(how, tmp_path, example_images):
    command = demo_command()
    if how == "SIGTERM to make":
        # make passes no SIGTERM on to its recipe: the demo learns of it from its parent's death.
        (tmp_path / "Makefile").write_text(f"demo:\n\t{shlex.join(command)}\n")
        command = ["make", "-s", "-f", str(tmp_path / "Makefile"), "demo"]
    demo = RunningDemo(command, demo_env(tmp_path / "var"))
    started: dict[int, str] = {}
    try:
        demo.wait_for("Press Ctrl-C to stop.", timeout=300)
        started = descendants(demo.process.pid)
        # The registry, the site, the site's worker and the compute worker, each with its children.
        assert len(started) >= 4, started
        demo.process.send_signal(signal.SIGHUP if how == "SIGHUP" else signal.SIGTERM)
        deadline = time.monotonic() + 40
        while still_alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert still_alive(started) == [], demo.output()
        assert "stopping the site and the workers" in demo.output()
        if how != "SIGTERM to make":
            assert demo.process.wait(5) == 0
    finally:
        demo.process.kill()
        demo.process.wait()
        for pid in still_alive(started):  # a failed stop leaves nothing behind on the machine
            os.kill(pid, signal.SIGKILL)


def test_demo_without_docker_says_what_to_install(tmp_path):
    env = {**demo_env(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    result = subprocess.run([sys.executable, str(DEMO), "--no-serve"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "no Docker engine answers" in result.stderr
    assert f"DOCKER_HOST=unix://{tmp_path}/no-docker.sock does not answer" in result.stderr
    assert "Install Docker Engine" in result.stderr
    assert "Traceback" not in result.stderr


def _assert_a_full_run(stdout: str, registry_port: int) -> None:
    """A ``--no-serve`` run's output: the statuses to FINISHED, the pushed image, the leaderboard, the stop."""
    lines = stdout.splitlines()
    statuses = [line.split("]")[1].split()[0] for line in lines if line.strip().startswith("[")]
    assert statuses[-1] == "FINISHED" and "RUNNING" in statuses and "SCORING" in statuses, stdout
    row = next(line for line in lines if "participant " in line and line.strip().startswith("1"))
    assert row.split()[2:] == ["0.900", "0.900"], row  # the site's rendering: the columns' precision is 3
    assert f"evalbox demo: pushed 127.0.0.1:{registry_port}/" in stdout and "/demo" in stdout
    assert "stopping the site and the workers" in stdout


def test_demo_from_no_example_images_runs_to_the_leaderboard_and_a_second_run_builds_nothing(tmp_path,
                                                                                             docker_client):
    # A namespace of its own: the run starts with none of its example images, and the images
    # other tests use at the same time stay where they are.
    prefix = f"evalbox-demo-{uuid.uuid4().hex[:8]}"
    registry_port = free_port()
    env = {**demo_env(tmp_path), "EVALBOX_EXAMPLES_PREFIX": prefix}
    remove_images(docker_client, f"{prefix}/")
    try:
        runs = [subprocess.run(demo_command("--no-serve", registry_port=registry_port), cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600) for _ in range(2)]
        for run in runs:
            assert run.returncode == 0, run.stdout + run.stderr
            _assert_a_full_run(run.stdout, registry_port)
        first, second = (run.stdout for run in runs)
        assert first.count(f"{prefix}/") >= 6 and first.count(": built in ") == 6, first
        assert ": built in " not in second and second.count("exists, skipping") == 6, second
        assert "building the example images that are missing" in first and "  ... " not in second
    finally:
        remove_images(docker_client, f"{prefix}/", f"127.0.0.1:{registry_port}/")
    # var/ keeps the secret key, the database, the archives and the broker's messages: owner only.
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    # Every process it started is gone: nothing runs with the demo's var folder any more.
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout
