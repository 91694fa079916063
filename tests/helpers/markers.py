"""Markers that really select, and the service check before every test (a plugin of ``tests/conftest.py``).

A test needing Docker, RabbitMQ, a browser or the platform registry is marked ``docker``,
``rabbitmq``, ``browser`` or ``registry`` from the fixtures it uses (directly or through other fixtures), so that
``-m "not docker"`` leaves out exactly the tests a machine without Docker cannot run. A test
that needs a service without a fixture saying so carries the marker itself (``pytestmark``).
Before a selected test's fixtures are set up, every service it is marked for, and PostgreSQL
when it uses the database and ``DATABASE_URL`` is set, must answer (:mod:`tests.helpers.services`).
"""

from __future__ import annotations

import pytest

from tests.helpers import services

#: The fixtures that stand for a service: any test whose fixtures include one gets the marker.
FIXTURE_MARKERS = {"docker_client": "docker", "rabbitmq_url": "rabbitmq", "browser": "browser",
                   "registry_server": "registry"}
#: pytest-django's fixtures that open the test database.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by the service fixtures it uses."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for name in sorted({FIXTURE_MARKERS[f] for f in fixtures & FIXTURE_MARKERS.keys()}):
            item.add_marker(name)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail the test at setup, with one line, when a service it needs is missing."""
    for name in needed_services(item):
        services.require(name)


def needed_services(item: pytest.Item) -> list[str]:
    """The services ``item`` needs, by its markers and its use of the database."""
    needed = [name for name, service in services.SERVICES.items()
              if service.marker and item.get_closest_marker(service.marker)]
    uses_database = item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    if uses_database and services.on_postgresql():
        needed.append("postgresql")
    return needed
