"""Real processes and services the integration tests use: RabbitMQ and compute worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import docker
import pytest
from kombu import Connection

ROOT = Path(__file__).resolve().parents[1]
AMQP_URL = os.environ.get("EVALBOX_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def require_rabbitmq(url: str = AMQP_URL) -> None:
    """Fail (not skip) the test when RabbitMQ does not answer: CI must have it."""
    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.connect()
    except Exception as exc:  # noqa: BLE001 - any connection error means the same thing here
        pytest.fail(f"RabbitMQ is not reachable at {url}: {exc}")


def unique_name(prefix: str) -> str:
    """A name no other test run uses (queues, worker ids)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def delete_queue(name: str, url: str = AMQP_URL) -> None:
    """Delete a compute queue and its exchange from RabbitMQ."""
    with Connection(url, connect_timeout=3) as connection:
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)


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


def remove_worker_containers(worker_id: str) -> None:
    """Force-remove every container labelled with ``worker_id``."""
    client = docker.from_env()
    try:
        for container in client.containers.list(all=True, filters={"label": f"evalbox.worker={worker_id}"}):
            container.remove(force=True)
    finally:
        client.close()


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
