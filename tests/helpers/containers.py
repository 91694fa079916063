"""Containers the tests look for by label, on the engine of ``DOCKER_HOST`` or another one."""

from __future__ import annotations

import contextlib

import docker
import docker.errors


def labelled_containers(label: str, host: str | None = None) -> list:
    """Containers (any state) carrying ``label`` (``key=value``), on ``host`` or the engine of ``DOCKER_HOST``.

    One removed between the engine's listing and its inspection (a worker cleaning up) is left out.
    """
    client = docker.DockerClient(base_url=host) if host else docker.from_env()
    try:
        return client.containers.list(all=True, filters={"label": label}, ignore_removed=True)
    finally:
        client.close()


def remove_worker_containers(worker_id: str) -> None:
    """Force-remove every container labelled with ``worker_id`` (on the engine of ``DOCKER_HOST``)."""
    client = docker.from_env()
    try:
        for container in client.containers.list(all=True, filters={"label": f"evalbox.worker={worker_id}"},
                                                ignore_removed=True):
            with contextlib.suppress(docker.errors.NotFound):  # removed by its worker meanwhile
                container.remove(force=True)
    finally:
        client.close()
