"""The Celery side against the real RabbitMQ: quorum queues, late acks, the delivery limit, the pools.

Real ``celery -A compute_worker worker`` processes consume unique quorum queues; the tests send
tasks like the site does and kill the process running a task to show the delivery limit.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import docker
import pytest
from celery import Celery
from kombu import Connection

from compute_worker import protocol
from compute_worker.config import WorkerConfig
from compute_worker.protocol import transport
from compute_worker.protocol.transport import broker_transport_options, compute_queue, is_amqp, prepare_broker
from tests.helpers import docker_images
from tests.helpers.broker import AMQP_URL, delete_queue, unique_name
from tests.helpers.processes import compute_workers, pool_children, sigkill_pool, sigkill_worker, start_compute_worker
from tests.helpers.stub_site import StubSite
from tests.helpers.timing import wait_for
from tests.helpers.worker_requests import make_request

pytestmark = [pytest.mark.rabbitmq, pytest.mark.docker]

BROKER = AMQP_URL


def _sender(queue: str) -> Celery:
    """A Celery app sending to ``queue`` like the site does."""
    sender = Celery("evalbox-test-sender", broker=BROKER)
    sender.conf.update(task_queues=[compute_queue(queue, BROKER)], task_serializer="json",
                       accept_content=["json"], task_default_queue=queue)
    return sender


@pytest.fixture(scope="module")
def rabbit_worker(tmp_path_factory) -> Iterator[dict]:
    """A real Celery worker process (the default: concurrency 1) on a unique quorum queue; yields its details."""
    docker_images.busybox_image()
    queue = unique_name("evalbox-test")
    sender = _sender(queue)
    try:
        with compute_workers(queue, tmp_path_factory.mktemp("celery-worker")) as (worker,):
            yield {"queue": queue, "worker_id": worker.worker_id, "process": worker.process,
                   "log": worker.log_path, "sender": sender}
    finally:
        delete_queue(queue)


def send(worker: dict, kwargs: dict) -> None:
    """Send the task like the site does."""
    worker["sender"].send_task(protocol.TASK_NAME, kwargs=kwargs, queue=worker["queue"])


def test_quorum_queue_runs_a_submission(rabbit_worker, stub_site: StubSite, scorer):
    image = docker_images.busybox_script_image("predict", "echo 42 > /mnt/out/predictions.txt\n")
    send(rabbit_worker, make_request(stub_site, image, scorer, reference_files={"answer.txt": b"42\n"}))
    wait_for(lambda: stub_site.posts("result"), 60, "the result")
    assert stub_site.result()["scores"] == {"lines": 1.0, "matches": 1.0}
    listing = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name", "type", "arguments"],
                             capture_output=True, text=True, timeout=60).stdout
    line = next(line for line in listing.splitlines() if line.startswith(rabbit_worker["queue"] + "\t"))
    assert "quorum" in line and "x-delivery-limit" in line
    log = rabbit_worker["log"].read_text()
    assert "Global QoS is disabled" in log
    assert "NOT_IMPLEMENTED" not in log and "PRECONDITION_FAILED" not in log


def test_the_default_worker_is_one_process_and_two_jobs_get_prefork_processes(rabbit_worker, tmp_path):
    assert pool_children(rabbit_worker["process"].pid) == []
    assert "concurrency: 1 (thread)" in rabbit_worker["log"].read_text()
    queue = unique_name("evalbox-test")
    try:
        # ``-c 2`` on the command line while the configuration says one slot: the pool follows ``-c``.
        with compute_workers(queue, tmp_path, concurrency=2, env={"EVALBOX_CONCURRENCY": "1"}) as (worker,):
            assert len(pool_children(worker.process.pid)) == 2
            assert "concurrency: 2 (prefork)" in worker.log()
    finally:
        delete_queue(queue)


@pytest.mark.parametrize("pool", ["threads", "prefork"])
def test_a_warm_shutdown_lets_the_running_job_finish_and_report(pool, stub_site: StubSite, scorer, tmp_path):
    image = docker_images.busybox_script_image("short-sleeper", "sleep 3; echo 42 > /mnt/out/predictions.txt\n")
    queue = unique_name("evalbox-test")
    try:
        with compute_workers(queue, tmp_path, env={"EVALBOX_POOL": pool}) as (worker,):
            _sender(queue).send_task(protocol.TASK_NAME, queue=queue, kwargs=make_request(
                stub_site, image, scorer, reference_files={"answer.txt": b"42\n"}))
            _started(stub_site, 1)
            worker.process.send_signal(signal.SIGTERM)  # warm shutdown while the container runs
            assert worker.process.wait(60) == 0
        assert stub_site.result()["status"] == "FINISHED"
        with Connection(BROKER) as connection:
            _, messages, _ = connection.channel().queue_declare(queue, passive=True)
        assert messages == 0  # acknowledged after the result
    finally:
        delete_queue(queue)


def _started(stub_site: StubSite, count: int) -> None:
    wait_for(lambda: len([b for b in stub_site.posts("status") if b["message"].startswith("Started")]) >= count,
             30, f"delivery {count} running")
    time.sleep(0.5)


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_message_killing_workers_ends_as_worker_lost(pool, stub_site: StubSite, scorer, tmp_path):
    # prefork: the pool process running the task dies twice, the main process lives and takes the
    # message again. threads: the whole worker dies twice and is restarted (as its supervisor would).
    image = docker_images.busybox_script_image("sleeper", "echo sleeping; sleep 60\n")
    queue, worker_id = unique_name("evalbox-test"), unique_name("test-worker")
    options = {"worker_id": worker_id, "env": {"EVALBOX_POOL": pool}}
    request = make_request(stub_site, image, scorer, limits={"time_limit_s": 120})
    try:
        if pool == "prefork":
            with compute_workers(queue, tmp_path, **options) as (worker,):
                _sender(queue).send_task(protocol.TASK_NAME, queue=queue, kwargs=request)
                for delivery in (1, 2):
                    _started(stub_site, delivery)
                    sigkill_pool(worker.process.pid)
                _assert_given_up(stub_site, queue, worker_id)
                assert worker.process.poll() is None
        else:
            for delivery in (1, 2):
                worker = start_compute_worker(queue, tmp_path, **options)
                try:
                    if delivery == 1:
                        _sender(queue).send_task(protocol.TASK_NAME, queue=queue, kwargs=request)
                    _started(stub_site, delivery)
                    sigkill_worker(worker)  # its container stays: no clean-up runs
                finally:
                    worker.stop(signal.SIGKILL)
            with compute_workers(queue, tmp_path, **options):  # restarted under the same id
                _assert_given_up(stub_site, queue, worker_id)
    finally:
        delete_queue(queue)


def _assert_given_up(stub_site: StubSite, queue: str, worker_id: str) -> None:
    """The worker ended the message as worker_lost, acknowledged it and removed the killed attempts' containers."""
    result = wait_for(lambda: stub_site.posts("result"), 60, "the worker_lost result")[0]
    assert result["failure_reason"] == "worker_lost"
    assert result["failure_message"] == ("the submission was delivered 3 times and every worker running it died")
    time.sleep(1)  # nothing more arrives
    assert len(stub_site.posts("result")) == 1
    with Connection(BROKER) as connection:
        _, messages, _ = connection.channel().queue_declare(queue, passive=True)
    assert messages == 0
    # Checked while the worker runs: the test's own clean-up has not removed anything yet.
    client = docker.from_env()
    assert client.containers.list(all=True, filters={"label": f"evalbox.worker={worker_id}"}) == []


def test_filesystem_broker_defaults(tmp_path):
    assert not is_amqp("filesystem://") and is_amqp(BROKER)
    queue = compute_queue("compute-worker", "filesystem://")
    assert queue.queue_arguments is None and queue.durable
    amqp_queue = compute_queue("compute-worker", BROKER)
    assert amqp_queue.queue_arguments == transport.QUEUE_ARGUMENTS
    options = broker_transport_options("filesystem://", tmp_path / "broker")
    assert options["data_folder_in"] == options["data_folder_out"] == str((tmp_path / "broker").resolve())
    assert options["control_folder"] == str((tmp_path / "broker" / "control").resolve())
    assert not (tmp_path / "broker").exists()  # computing options creates nothing
    prepare_broker("filesystem://", tmp_path / "broker")
    assert (tmp_path / "broker" / "control").is_dir() and (tmp_path / "broker" / "processed").is_dir()
    assert (tmp_path / "broker").stat().st_mode & 0o777 == 0o700
    assert broker_transport_options(BROKER, tmp_path) == {"confirm_publish": True}
    assert WorkerConfig.from_env({}).broker_url == "filesystem://"
