"""A compose project of ``compose/`` driven with Debian's ``docker-compose`` (1.29) for the deployment test.

:class:`Stack` runs ``docker-compose`` under a project name of its own with an env file written by
the test, waits for the health checks of its containers, and is always taken down with its volumes.
:func:`fast_health_checks` writes an override with short health-check intervals: the files'
own (30-60 s, right for production) would make the test wait minutes for nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers.paths import ROOT

COMPOSE = ROOT / "compose"


def docker_compose() -> str:
    """The ``docker-compose`` command, or a failed test saying how to get it."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; .ci/run does it)")
    return tool


#: What docker-compose keeps of the test's environment: variables of the shell win over the env
#: file in compose, so the test's own DATABASE_URL and the like must not reach it.
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "DOCKER_HOST", "DOCKER_CONFIG", "TMPDIR")


def compose_environment() -> dict[str, str]:
    """The environment docker-compose runs in: only what it needs to find Docker."""
    return {key: os.environ[key] for key in KEPT_ENVIRONMENT if key in os.environ}


def write_env(path: Path, values: dict[str, str]) -> Path:
    """An env file of ``values``."""
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def fast_health_checks(path: Path, services: list[str], interval_s: int = 3) -> Path:
    """An override file giving ``services`` health checks every ``interval_s`` seconds."""
    check = {"interval": f"{interval_s}s", "retries": 40}
    path.write_text(yaml.safe_dump({"services": {name: {"healthcheck": check}
                                                                     for name in services}}))
    return path


class Stack:
    """One compose project: ``docker-compose -p <project> --env-file <env> -f ... <args>``."""

    def __init__(self, project: str, env_file: Path, files: list[Path]) -> None:
        self.project, self.env_file, self.files = project, env_file, files

    def command(self, *args: str) -> list[str]:
        """The full ``docker-compose`` command line of ``args``."""
        files = [part for path in self.files for part in ("-f", str(path))]
        return [docker_compose(), "-p", self.project, "--env-file", str(self.env_file), *files, *args]

    def run(self, *args: str, timeout: float = 600, stdin: str | None = None) -> str:
        """Run ``docker-compose args``; its stdout; a failed test with its output if it fails."""
        done = subprocess.run(self.command(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              input=stdin, env=compose_environment())
        assert done.returncode == 0, f"docker-compose {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-5000:]}"
        return done.stdout

    def containers(self, service: str | None = None) -> list[str]:
        """The ids of the project's containers (of ``service``)."""
        return self.run("ps", "-q", *([service] if service else [])).split()

    def health(self) -> dict[str, str]:
        """Each container's name -> its health (or state when it has no health check)."""
        ids = self.containers()
        if not ids:
            return {}
        found = json.loads(subprocess.run(["docker", "inspect", *ids], capture_output=True, text=True,
                                          check=True).stdout)
        return {item["Name"].lstrip("/"): (item["State"].get("Health") or {}).get("Status", item["State"]["Status"])
                for item in found}

    def wait_healthy(self, expected: int, timeout: float = 300) -> dict[str, str]:
        """Wait until ``expected`` containers run and all are healthy; fail with their logs otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.health()
            if len(health) >= expected and all(status == "healthy" for status in health.values()):
                return health
            time.sleep(2)
        logs = self.run("logs", "--tail", "40")
        raise AssertionError(f"not all healthy within {timeout:.0f} s: {self.health()}\n{logs[-8000:]}")

    def down(self) -> None:
        """Stop and remove the project's containers, networks and volumes (whatever state it is in)."""
        subprocess.run(self.command("down", "-v", "--remove-orphans", "--timeout", "20"), cwd=ROOT,
                       capture_output=True, text=True, timeout=300, env=compose_environment())
