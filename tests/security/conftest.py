"""The security battery's fixtures: every attack runs through the real worker path under both runtimes.

``battery`` is a :class:`~tests.helpers.battery.Battery` for one runtime (``runc`` and
``runsc``, the ``runtime`` parameter): :meth:`~tests.helpers.battery.Battery.submit` sends a
task message to ``handle_message`` against the stub site and returns the result the site
received. After the test the fixture checks that the worker is healthy: no container with
this worker's label, no work directory left, and a normal submission runs to FINISHED with
the right scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import docker
import pytest

from compute_worker.config import WorkerConfig
from tests.helpers.battery import RUNTIMES, Battery, runtime_available
from tests.helpers.stub_site import StubSite


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest, docker_client: docker.DockerClient) -> str:
    """The container runtime of the worker: ``runc``, then gVisor's ``runsc``."""
    if not runtime_available(docker_client, request.param):
        pytest.fail(f"the Docker engine has no {request.param!r} runtime: run scripts/ensure-gvisor.sh "
                    "(make docker does)")
    return request.param


@pytest.fixture
def battery(runtime: str, worker_config: WorkerConfig, stub_site: StubSite, docker_client: docker.DockerClient,
            scorer: str) -> Iterator[Battery]:
    """A :class:`Battery` for ``runtime``; checks after the test that the worker is healthy."""
    config = dataclasses.replace(worker_config, runtime=runtime, heartbeat_s=1.0)
    battery = Battery(runtime=runtime, config=config, site=stub_site, client=docker_client, scorer=scorer)
    yield battery
    battery.assert_healthy()
