"""The one rule for a service a test needs: there, or the test fails at setup with one line saying what to start.

A test never skips for want of a service: CI has them all, so a missing one is a broken
machine, not a reason to pass. :mod:`tests.helpers.markers` calls :func:`require` before a
test's fixtures are set up, for every service its markers (or, for PostgreSQL, its database)
ask for. Each service is probed once per session.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from compute_worker.config import mask_url
from tests.helpers.broker import AMQP_URL

#: Debian's chromium (``apt-get install chromium``); Playwright drives it, it downloads no browser of its own.
CHROMIUM = Path(os.environ.get("EVALBOX_CHROMIUM", "/usr/bin/chromium"))


@dataclass(frozen=True)
class Service:
    """Something outside the test process that some tests need."""

    what: str
    where: Callable[[], str]
    probe: Callable[[], None]  #: raises when the service does not answer
    remedy: str
    marker: str | None = None  #: the marker that selects the tests needing it, if any

    def message(self) -> str:
        """The one line a test that needs the missing service fails with."""
        deselect = f", or deselect with -m 'not {self.marker}'" if self.marker else ""
        return f"needs {self.what} at {self.where()}: {self.remedy}{deselect}"


def _docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _probe_docker() -> None:
    import docker

    client = docker.from_env(timeout=5)  # honours DOCKER_HOST, as the worker does
    try:
        client.ping()
    finally:
        client.close()


def _probe_rabbitmq() -> None:
    from kombu import Connection

    with Connection(AMQP_URL, connect_timeout=3) as connection:
        connection.ensure_connection(max_retries=1)


def _database() -> dict:
    from django.conf import settings

    return settings.DATABASES["default"]


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    return mask_url(url) if url else "DATABASE_URL (unset: the site tests run on SQLite)"


def _probe_postgresql() -> None:
    import psycopg

    if not on_postgresql():
        raise LookupError("DATABASE_URL names no PostgreSQL database")
    database = _database()
    psycopg.connect(dbname="postgres", host=database["HOST"], port=database["PORT"] or 5432,
                    user=database["USER"], password=database["PASSWORD"], connect_timeout=3).close()


def _probe_chromium() -> None:
    import playwright.sync_api  # noqa: F401 - installed by pip install -e '.[dev]'

    if not CHROMIUM.exists():
        raise FileNotFoundError(CHROMIUM)


def _probe_registry() -> None:
    from tests.helpers.registry import REGISTRY_BIN

    if shutil.which(REGISTRY_BIN) is None:
        raise FileNotFoundError(REGISTRY_BIN)


SERVICES = {
    "docker": Service("a Docker engine", _docker_host, _probe_docker,
                      "run `make docker` (scripts/ensure-docker.sh)", marker="docker"),
    "rabbitmq": Service("RabbitMQ", lambda: mask_url(AMQP_URL), _probe_rabbitmq,
                        "run scripts/ensure-services.sh (or set EVALBOX_TEST_BROKER_URL)", marker="rabbitmq"),
    "browser": Service("Playwright and Debian's chromium", lambda: str(CHROMIUM), _probe_chromium,
                       "apt-get install -y chromium and pip install -e '.[dev]' (or set EVALBOX_CHROMIUM)",
                       marker="browser"),
    "registry": Service("the Docker registry (docker-registry)", lambda: "PATH", _probe_registry,
                        "apt-get install -y docker-registry (or set EVALBOX_TEST_REGISTRY_BIN)",
                        marker="registry"),
    "postgresql": Service("PostgreSQL", _database_url, _probe_postgresql,
                          "start it (scripts/ensure-services.sh) and set DATABASE_URL to it"),
}


@functools.cache
def missing(name: str) -> str | None:
    """The failure line of service ``name`` if it does not answer now, else ``None`` (probed once)."""
    service = SERVICES[name]
    try:
        service.probe()
    except Exception:  # noqa: BLE001 - whatever the probe raised, the service is not usable
        return service.message()
    return None


def require(name: str) -> None:
    """Fail the running test (never skip it) when service ``name`` is missing."""
    message = missing(name)
    if message:
        pytest.fail(message, pytrace=False)


def on_postgresql() -> bool:
    """Whether the site tests run on PostgreSQL (``DATABASE_URL`` is set)."""
    return _database()["ENGINE"] == "django.db.backends.postgresql"
