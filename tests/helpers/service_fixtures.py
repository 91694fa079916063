"""The fixtures that stand for a service; :mod:`tests.helpers.markers` marks every test using them."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from tests.helpers.broker import AMQP_URL


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A Docker SDK client of the engine of ``DOCKER_HOST`` (marks the test ``docker``)."""
    client = docker.from_env()
    yield client
    client.close()


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """The URL of the shared RabbitMQ, ``EVALBOX_TEST_BROKER_URL`` (marks the test ``rabbitmq``)."""
    return AMQP_URL
