"""``make demo``'s driver: the whole mission on the embedded broker, and its answer without Docker."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

from tests.helpers.paths import ROOT

DEMO = ROOT / "examples" / "demo.py"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_runs_a_submission_to_the_leaderboard_on_the_embedded_broker(tmp_path, example_images):
    env = {**os.environ, "EVALBOX_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run([sys.executable, str(DEMO), "--port", str(free_port()), "--no-serve"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    statuses = [line.split("]")[1].split()[0] for line in lines if line.strip().startswith("[")]
    assert statuses[-1] == "FINISHED" and "RUNNING" in statuses and "SCORING" in statuses, result.stdout
    row = next(line for line in lines if "participant " in line and line.strip().startswith("1"))
    assert row.split()[2:] == ["0.900", "0.900"], row  # the site's rendering: the columns' precision is 3
    # var/ keeps the secret key, the database, the archives and the broker's messages: owner only.
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert "stopping the site and the workers" in result.stdout
    # Every process it started is gone: nothing listens on the demo's broker folder any more.
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout


def test_demo_without_docker_says_what_to_install(tmp_path):
    env = {**os.environ, "EVALBOX_VAR_DIR": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    result = subprocess.run([sys.executable, str(DEMO), "--no-serve"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "no Docker engine answers" in result.stderr
    assert "Install Docker Engine" in result.stderr
    assert "Traceback" not in result.stderr
