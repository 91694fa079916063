"""This worker process's Docker client and its engine's architecture, made once per process, not per job.

docker-py's :func:`docker.from_env` asks the engine its API version and opens a new HTTP session
(10-30 ms measured here), and ``docker info`` costs another 5-15 ms: both were on the path of every
submission while each job made its own. One client serves the process's jobs in turn (the Celery
pool runs one job per process); its connection pool reconnects after an engine restart. A forked
process makes its own: a client inherited across ``fork`` would share the parent's sockets.
"""

from __future__ import annotations

import os
import threading

import docker

#: docker-py's timeout for one API call of the worker's client, in seconds.
API_TIMEOUT_S = 120

_lock = threading.Lock()
_clients: dict[int, docker.DockerClient] = {}  # by process id
_architectures: dict[str, str] = {}  # by the engine's API address

#: ``docker info``'s architecture names as image platforms call them.
_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}


def process_client() -> docker.DockerClient:
    """This process's Docker client (from ``DOCKER_HOST`` and the other Docker variables), made at first use.

    Raises what :func:`docker.from_env` raises when the engine cannot be reached.
    """
    pid = os.getpid()
    with _lock:
        client = _clients.get(pid)
        if client is None:
            _clients.clear()  # a parent's client, inherited across fork: never used here
            client = _clients[pid] = docker.from_env(timeout=API_TIMEOUT_S)
        return client


def architecture(client: docker.DockerClient) -> str:
    """The architecture of ``client``'s engine as image platforms name it (``amd64``), asked once per engine."""
    address = client.api.base_url
    if address not in _architectures:
        machine = str(client.info().get("Architecture", "x86_64"))
        _architectures[address] = _ARCHITECTURES.get(machine, machine)
    return _architectures[address]
