"""Compute worker processes the integration tests start, watch and kill."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.broker import AMQP_URL, unique_name
from tests.helpers.containers import remove_worker_containers
from tests.helpers.paths import ROOT
from tests.helpers.timing import wait_for

_FINISHED = re.compile(r"submission (\d+): FINISHED reported")


@dataclass
class ComputeWorkerProcess:
    """A running ``celery -A compute_worker worker`` process."""

    process: subprocess.Popen[bytes]
    worker_id: str
    queue: str
    log_path: Path

    def log(self) -> str:
        """Everything the worker printed so far."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop the worker (warm shutdown by default), killing it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_compute_worker(queue: str, data_dir: Path, *, broker_url: str = AMQP_URL, concurrency: int = 1,
                         worker_id: str | None = None, env: dict[str, str] | None = None) -> ComputeWorkerProcess:
    """Start a compute worker on ``queue`` and wait until Celery says it is ready."""
    worker_id = worker_id or unique_name("test-worker")
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"{worker_id}.log"
    environment = {
        **os.environ, "CELERY_BROKER_URL": broker_url, "EVALBOX_QUEUES": queue, "EVALBOX_WORKER_ID": worker_id,
        "EVALBOX_PULL_POLICY": "never", "EVALBOX_DATA_DIR": str(data_dir / worker_id), "EVALBOX_HEARTBEAT_S": "0.5",
        "EVALBOX_LOG_FLUSH_S": "0.5",
        "EVALBOX_REPORT_RETRY_S": "5", "EVALBOX_CONCURRENCY": str(concurrency), **(env or {}),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "compute_worker", "worker", "-Q", queue, "-c", str(concurrency),
             "--without-gossip", "--without-mingle", "-l", "info", "-n", f"{worker_id}@%h"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
    worker = ComputeWorkerProcess(process=process, worker_id=worker_id, queue=queue, log_path=log_path)
    try:
        wait_for(lambda: "ready." in worker.log() or process.poll() is not None, 60, "the worker to start")
    except AssertionError:
        worker.stop(signal.SIGKILL)
        raise
    if process.poll() is not None:
        raise AssertionError(f"the compute worker exited at start-up:\n{worker.log()}")
    return worker


@contextmanager
def compute_workers(queue: str, data_dir: Path, count: int = 1, **options: Any) -> Iterator[list[ComputeWorkerProcess]]:
    """``count`` compute workers on ``queue``, stopped and cleaned up afterwards."""
    workers: list[ComputeWorkerProcess] = []
    try:
        for _ in range(count):
            workers.append(start_compute_worker(queue, data_dir, **options))
        yield workers
    finally:
        for worker in workers:
            worker.stop()
            remove_worker_containers(worker.worker_id)


def finished_by(workers: Iterable[ComputeWorkerProcess]) -> dict[str, Counter[int]]:
    """worker id -> how many times it reported each submission FINISHED (from its log)."""
    return {w.worker_id: Counter(int(m) for m in _FINISHED.findall(w.log())) for w in workers}


def pool_children(pid: int) -> list[int]:
    """Child process ids of ``pid`` (a Celery worker's pool processes)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.extend(int(c) for c in (task / "children").read_text().split())
    return children


def sigkill_pool(worker_pid: int) -> None:
    """SIGKILL the prefork pool processes of a worker (the one running the task dies; the main process lives)."""
    children = pool_children(worker_pid)
    assert children, "the worker has no pool processes (one job at a time runs in a thread of its one process)"
    for child in children:
        os.kill(child, signal.SIGKILL)


def sigkill_worker(worker: ComputeWorkerProcess) -> None:
    """SIGKILL a compute worker: its pool processes if any and its main process (nothing runs a cleanup)."""
    for child in pool_children(worker.process.pid):
        os.kill(child, signal.SIGKILL)
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(10)
