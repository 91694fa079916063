"""Fixtures shared by the compute worker tests and the security battery.

Real Docker, locally built images, a stub site. ``tests/worker/conftest.py`` and
``tests/security/conftest.py`` import the fixtures from here (pytest sees a fixture only in
the conftest of its directory or above).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from compute_worker import protocol
from compute_worker.config import WorkerConfig
from tests import docker_images
from tests.stub_site import StubSite, start_stub_site


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A Docker SDK client of the local engine."""
    client = docker.from_env()
    client.ping()
    yield client
    client.close()


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
        pull_policy="never", report_retries=4, report_retry_s=10,
    )


@pytest.fixture
def stub_site() -> Iterator[StubSite]:
    """A stub worker API on loopback."""
    site = start_stub_site()
    yield site
    site.stop()


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A tar.gz archive of ``{name: content}``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def make_request(site: StubSite, image: str, scoring_image: str, *, input_files: dict[str, bytes] | None = None,
                 reference_files: dict[str, bytes] | None = None, **overrides: Any) -> dict[str, Any]:
    """Task kwargs for a submission served by ``site``."""
    limits = {"time_limit_s": 20, "memory_mb": 256, "cpus": 1.0, "pids": 64, "gpus": 0, "output_max_mb": 16,
              "log_max_kb": 64}
    limits.update(overrides.pop("limits", {}))
    kwargs: dict[str, Any] = {
        "submission_id": site.submission_id, "image": image, "scoring_image": scoring_image,
        "api_url": site.api_url, "token": site.token, "limits": limits, "schema": protocol.SCHEMA_VERSION,
    }
    if input_files is not None:
        data = tar_gz(input_files)
        kwargs["input_data_url"] = site.add_file(protocol.INPUT_DATA_PATH, data)
        kwargs["input_data_sha256"] = sha256(data)
    if reference_files is not None:
        data = tar_gz(reference_files)
        kwargs["reference_data_url"] = site.add_file(protocol.REFERENCE_DATA_PATH, data)
        kwargs["reference_data_sha256"] = sha256(data)
    kwargs.update(overrides)
    return protocol.RunRequest.from_kwargs(kwargs).to_kwargs()
