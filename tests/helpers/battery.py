"""The security battery's runner: attack submissions through the real worker path, then a health check."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import docker

from compute_worker import sandbox
from compute_worker.config import WorkerConfig
from compute_worker.tasks import handle_message
from tests.helpers import docker_images
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

#: The container runtimes every attack runs under.
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
