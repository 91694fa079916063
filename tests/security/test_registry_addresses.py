"""No pull aimed at an internal address, end to end: the real worker, a loopback listener that counts.

Only loopback listeners are used (never an address outside this machine, even one expected to
be refused); the other ranges are tested on the classification alone (tests/worker/test_registry_guard.py).
"""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from compute_worker.config import WorkerConfig
from compute_worker.tasks import handle_message
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request


class Listener:
    """A TCP listener on 127.0.0.1 that accepts and counts connections (and closes them at once)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A counting listener on a free loopback port."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def pulling_config(worker_config: WorkerConfig, tmp_path: Path) -> WorkerConfig:
    """A worker that pulls what it does not have."""
    return dataclasses.replace(worker_config, pull_policy="if-not-present", image_cache_dir=str(tmp_path / "images"),
                               pull_timeout_s=10)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_registry_is_never_contacted(host: str, listener: Listener, pulling_config: WorkerConfig,
                                                stub_site: StubSite, scorer: str,
                                                docker_client: docker.DockerClient) -> None:
    reference = f"{host}:{listener.port}/x:y"
    summary = handle_message(make_request(stub_site, reference, scorer), config=pulling_config)
    result = stub_site.result()
    assert summary["failure_reason"] == result["failure_reason"] == "image_not_allowed", result
    assert result["failure_message"].startswith(
        f"The registry {host}:{listener.port} is refused: it resolves to an address that is loopback "), result
    if host == "localhost":
        assert "127.0.0.1" not in result["failure_message"]
    assert f"{host} resolves to 127.0.0.1 on the worker" in result["failure_detail"], result  # organizers only
    assert listener.accepted == 0


def test_the_control_a_trusted_registry_is_contacted(listener: Listener, pulling_config: WorkerConfig,
                                                     stub_site: StubSite, scorer: str,
                                                     docker_client: docker.DockerClient) -> None:
    # The listener does see a worker that is allowed to go there: its zero above means something.
    registry = f"127.0.0.1:{listener.port}"
    config = dataclasses.replace(pulling_config, trusted_registries=(registry,))
    handle_message(make_request(stub_site, f"{registry}/x:y", scorer), config=config)
    result = stub_site.result()
    assert result["status"] == "FAILED" and result["failure_reason"] == "image_registry_unreachable", result
    assert listener.accepted >= 1


def test_a_registry_that_cannot_be_reached_is_said_so_without_the_engines_words(
        pulling_config: WorkerConfig, stub_site: StubSite, scorer: str, docker_client: docker.DockerClient) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]  # nothing listens there once the block ends
    registry = f"127.0.0.1:{port}"
    config = dataclasses.replace(pulling_config, trusted_registries=(registry,))
    handle_message(make_request(stub_site, f"{registry}/team/model:v1", scorer), config=config)
    result = stub_site.result()
    assert result["failure_reason"] == "image_registry_unreachable", result
    assert result["failure_message"] == (
        f"The registry of {registry}/team/model:v1 could not be reached from the worker. Check the registry's "
        "name in the reference; if it is right, the registry is down or blocked: resubmit later or tell the "
        "organizers."), result
    assert result["failure_detail"].startswith("Reading the manifest failed: ConnectionError: "), result
