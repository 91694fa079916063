"""The security battery's fixtures: every attack runs through the real worker path under both runtimes.

``battery`` is a :class:`Battery` for one runtime (``runc`` and ``runsc``, the ``runtime``
parameter): :meth:`Battery.submit` sends a task message to :func:`handle_message` against the
stub site and returns the result the site received. After the test the fixture checks that
the worker is healthy: no container with this worker's label, no work directory left, and a
normal submission runs to FINISHED with the right scores.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from compute_worker import sandbox
from compute_worker.config import WorkerConfig
from compute_worker.tasks import handle_message
from tests import docker_images
from tests.stub_site import StubSite
from tests.worker_fixtures import (  # noqa: F401 - fixtures used by this directory
    busybox,
    docker_client,
    make_request,
    scorer,
    stub_site,
    worker_config,
)

RUNTIMES = ("runc", "runsc")
#: The healthy run after every attack: its prediction matches the reference answer.
HEALTHY_SCRIPT = "echo 42 > /mnt/out/predictions.txt\n"


def runtime_available(client: docker.DockerClient, runtime: str) -> bool:
    """Whether the Docker engine lists ``runtime``."""
    return runtime in (client.info().get("Runtimes") or {})


@dataclasses.dataclass
class Battery:
    """Runs attack submissions through :func:`handle_message` for one runtime."""

    runtime: str
    config: WorkerConfig
    site: StubSite
    client: docker.DockerClient
    scorer: str
    last_elapsed_s: float = 0.0

    def submit(self, image: str, *, scoring_image: str | None = None, **request: Any) -> dict[str, Any]:
        """Run a submission of ``image``; return the result body the stub site accepted.

        ``request`` goes to :func:`make_request` (``limits``, ``input_files``, ``reference_files``...).
        The default limits are short: 3 s, 128 MB, 64 pids, 8 MB output, 16 KB of log.
        """
        self.site.requests.clear()
        limits = {"time_limit_s": 3, "memory_mb": 128, "pids": 64, "output_max_mb": 8, "log_max_kb": 16,
                  **request.pop("limits", {})}
        kwargs = make_request(self.site, image, scoring_image or self.scorer, limits=limits, **request)
        started = time.monotonic()
        summary = handle_message(kwargs, config=self.config)
        self.last_elapsed_s = time.monotonic() - started
        result = self.site.result()
        assert summary["status"] == result["status"], (summary, result)
        return result

    def leftovers(self) -> tuple[list[Any], list[Path]]:
        """This worker's containers and work directories still present."""
        containers = self.client.containers.list(
            all=True, filters={"label": f"{sandbox.LABEL_WORKER}={self.config.worker_id}"})
        work = Path(self.config.work_dir)
        return containers, sorted(work.iterdir()) if work.exists() else []

    def assert_healthy(self) -> None:
        """Nothing left behind, and a normal submission runs to FINISHED."""
        containers, work_dirs = self.leftovers()
        assert containers == [], f"containers left behind: {[c.name for c in containers]}"
        assert work_dirs == [], f"work directories left behind: {work_dirs}"
        image = docker_images.busybox_script_image("healthy", HEALTHY_SCRIPT)
        result = self.submit(image, reference_files={"answer.txt": b"42\n"})
        assert result["status"] == "FINISHED", result
        assert result["scores"] == {"lines": 1.0, "matches": 1.0}
        assert self.leftovers() == ([], [])


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest, docker_client: docker.DockerClient) -> str:  # noqa: F811
    """The container runtime of the worker: ``runc``, then gVisor's ``runsc``."""
    if not runtime_available(docker_client, request.param):
        pytest.fail(f"the Docker engine has no {request.param!r} runtime: run scripts/ensure-gvisor.sh "
                    "(make docker does)")
    return request.param


@pytest.fixture
def battery(runtime: str, worker_config: WorkerConfig, stub_site: StubSite,  # noqa: F811 - imported fixtures
            docker_client: docker.DockerClient, scorer: str) -> Iterator[Battery]:  # noqa: F811
    """A :class:`Battery` for ``runtime``; checks after the test that the worker is healthy."""
    config = dataclasses.replace(worker_config, runtime=runtime, heartbeat_s=1.0)
    battery = Battery(runtime=runtime, config=config, site=stub_site, client=docker_client, scorer=scorer)
    yield battery
    battery.assert_healthy()
