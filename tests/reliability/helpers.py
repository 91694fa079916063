"""Small helpers shared by the fault and load tests (no fixtures here)."""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import docker
from django.core.files import File
from django.utils import timezone

from competition.archives import check_archive
from competition.models import Phase
from tests.e2e.conftest import Participant
from tests.processes import ComputeWorkerProcess
from tests.worker.conftest import tar_gz
from tests.worker.test_worker_celery import pool_children

__all__ = ["tar_gz"]

_FINISHED = re.compile(r"submission (\d+): FINISHED reported")


def submit(client: Participant, phase: Phase, image: str) -> int:
    """POST a submission that must be accepted (201); return its id."""
    response = client.submit(phase, image)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def finished_by(workers: Iterable[ComputeWorkerProcess]) -> dict[str, Counter[int]]:
    """worker id -> how many times it reported each submission FINISHED (from its log)."""
    return {w.worker_id: Counter(int(m) for m in _FINISHED.findall(w.log())) for w in workers}


def containers(label: str, host: str | None = None) -> list:
    """Containers (any state) carrying ``label`` (``key=value``), on ``host`` or the shared engine."""
    client = docker.DockerClient(base_url=host) if host else docker.from_env()
    try:
        return client.containers.list(all=True, filters={"label": label})
    finally:
        client.close()


def sigkill_worker(worker: ComputeWorkerProcess) -> None:
    """SIGKILL a compute worker: its pool processes and its main process (nothing runs a cleanup)."""
    pid = worker.process.pid
    for child in pool_children(pid):
        os.kill(child, signal.SIGKILL)
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(10)


def sigkill_pool(worker_pid: int) -> None:
    """SIGKILL the pool processes of a worker (the one running the task dies; the main process lives)."""
    for child in pool_children(worker_pid):
        os.kill(child, signal.SIGKILL)


def set_input_data(phase: Phase, archive: bytes, directory: Path) -> str:
    """Attach ``archive`` (tar.gz bytes) as the phase's input data; return its sha256."""
    path = directory / "input.tar.gz"
    path.write_bytes(archive)
    with open(path, "rb") as handle:
        phase.input_data_sha256 = check_archive(handle)
        phase.input_data.save(path.name, File(handle), save=False)
    phase.save()
    return phase.input_data_sha256


def later(seconds: float) -> timezone.datetime:
    """``now + seconds`` (to run the sweep as if time had passed)."""
    return timezone.now() + timedelta(seconds=seconds)
