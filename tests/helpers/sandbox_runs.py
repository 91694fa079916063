"""A busybox script run in the participant sandbox through the worker's runner (real Docker)."""

from __future__ import annotations

from pathlib import Path

import docker

from compute_worker import protocol, runner, sandbox
from compute_worker.config import WorkerConfig
from tests.helpers import docker_images


def run_script(client: docker.DockerClient, config: WorkerConfig, name: str, script: str, *,
               limits: protocol.Limits | None = None, mounts: list[sandbox.BindMount] | None = None,
               output_dir: Path | None = None) -> runner.RunOutcome:
    """Run ``script`` (busybox sh) in the participant sandbox through the runner."""
    limits = limits or protocol.Limits(time_limit_s=20, memory_mb=128, pids=64, log_max_kb=64, output_max_mb=8)
    image = docker_images.busybox_script_image(name, script)
    kwargs = sandbox.container_kwargs(limits, image=image, mounts=mounts or [], config=config, submission_id=7,
                                      role="participant")
    return runner.run_container(client, kwargs, time_limit_s=limits.time_limit_s,
                                log_max_bytes=limits.log_max_kb * 1024, output_dir=output_dir,
                                output_max_bytes=limits.output_max_mb << 20 if output_dir else None)
