"""Fixtures of the compute worker tests and the security battery: test images, a configuration, a stub site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from compute_worker.config import WorkerConfig
from tests.helpers import docker_images
from tests.helpers.stub_site import StubSite, start_stub_site


@pytest.fixture(scope="session")
def busybox(docker_client: docker.DockerClient) -> str:
    """The busybox test image tag."""
    return docker_images.busybox_image()


@pytest.fixture(scope="session")
def scorer(busybox: str) -> str:
    """The default busybox scorer image tag."""
    return docker_images.scoring_image()


@pytest.fixture
def worker_config(tmp_path: Path) -> WorkerConfig:
    """A configuration with every directory under ``tmp_path`` and a unique worker id."""
    return WorkerConfig(
        data_cache_dir=str(tmp_path / "cache"), work_dir=str(tmp_path / "work"), slot_dir=str(tmp_path / "slots"),
        broker_dir=str(tmp_path / "broker"), worker_id=f"test-{uuid.uuid4().hex[:10]}", heartbeat_s=0.5,
        log_flush_s=0.5, pull_policy="never", report_retries=4, report_retry_s=10,
    )


@pytest.fixture
def stub_site() -> Iterator[StubSite]:
    """A stub worker API on loopback."""
    site = start_stub_site()
    yield site
    site.stop()
