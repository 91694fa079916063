"""The broker and the Docker daemon go away and come back (private ones: :mod:`tests.helpers.private_services`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import docker
import pytest
import requests

from competition.models import Submission
from competition.sweep import sweep
from compute_worker import protocol, runner, sandbox
from compute_worker.classification import classify_run
from compute_worker.protocol import FailureReason
from tests.helpers import docker_images
from tests.helpers.containers import labelled_containers
from tests.helpers.private_services import PrivateRabbitMQ, private_dockerd, private_rabbitmq
from tests.helpers.processes import finished_by, start_compute_worker
from tests.helpers.timing import later, wait_for


@pytest.fixture(scope="module")
def rabbit() -> Iterator[PrivateRabbitMQ]:
    """A private RabbitMQ node for this module (the tests stop and start it)."""
    with private_rabbitmq() as node:
        yield node


@pytest.fixture
def private_broker(rabbit: PrivateRabbitMQ, site, settings) -> PrivateRabbitMQ:
    """The site dispatches to the private node, which is running."""
    if not rabbit.reachable():
        rabbit.start()
    settings.CELERY_BROKER_URL = rabbit.url
    return rabbit


def test_rabbitmq_restart_with_queued_and_running_submissions_loses_nothing(private_broker, alice, quick_phase,
                                                                             quick_images, workers, e2e_queue):
    with workers(1, broker_url=private_broker.url) as (worker,):
        running = alice.submit_accepted(quick_phase, quick_images["sleeper"])
        queued = [alice.submit_accepted(quick_phase, quick_images["quick"]) for _ in range(3)]
        wait_for(lambda: Submission.objects.get(pk=running).status == "RUNNING", 30, "the first one running")
        assert private_broker.queue_depth(e2e_queue) == 3
        private_broker.restart()
        finals = {i: alice.wait_final(i, timeout=120)["status"] for i in [running, *queued]}
        time.sleep(2)  # a redelivered copy of the running one would be evaluated now
        done = finished_by([worker])

    assert finals == dict.fromkeys([running, *queued], "FINISHED")
    assert done[worker.worker_id] == dict.fromkeys([running, *queued], 1), "each evaluated exactly once"
    assert Submission.objects.filter(pk__in=[running, *queued], attempt=1).count() == 4


def test_broker_down_when_submitting_then_the_sweep_dispatches(private_broker, settings, alice, quick_phase,
                                                               quick_images, workers):
    with workers(1, broker_url=private_broker.url):
        private_broker.stop()
        started = time.monotonic()
        response = alice.submit(quick_phase, quick_images["quick"])
        answer_s = time.monotonic() - started
        assert response.status_code == 201, response.text
        submission_id = response.json()["id"]
        assert Submission.objects.get(pk=submission_id).status == "SUBMITTED"
        stale = later(settings.EVALBOX_REDISPATCH_AFTER_S + 1)
        assert sweep(stale).still_submitted == 1, "the broker is still down: it stays SUBMITTED"
        private_broker.start()
        result = sweep(later(settings.EVALBOX_REDISPATCH_AFTER_S + 1))
        final = alice.wait_final(submission_id, timeout=120)

    assert answer_s < settings.CELERY_BROKER_CONNECTION_TIMEOUT + 5
    assert result.redispatched == 1
    assert final["status"] == "FINISHED", final
    assert Submission.objects.get(pk=submission_id).dispatch_attempts == 3


def _container_or_end(submission_id: int, label: str, host: str) -> bool:
    """Whether the submission's container is in the daemon; an error naming the outcome if the submission ended
    without one (a run that never started must not look like a slow one)."""
    if labelled_containers(label, host):
        return True
    submission = Submission.objects.get(pk=submission_id)
    assert submission.status not in ("FINISHED", "FAILED", "CANCELLED"), (
        f"the submission ended before its container was seen: {submission.status} {submission.failure_reason} "
        f"{submission.failure_message}")
    return False


def test_docker_daemon_restarted_during_a_run(alice, quick_phase, quick_images, workers, e2e_queue, tmp_path):
    env = {"DOCKER_HOST": ""}
    # private_dockerd checks the images are there and runs one container first (a fresh daemon's first start).
    with private_dockerd([quick_images[name] for name in ("quick", "sleeper", "scorer")]) as daemon:
        env["DOCKER_HOST"] = daemon.host
        with workers(1, env=env) as (worker,):
            interrupted = alice.submit_accepted(quick_phase, quick_images["sleeper"])
            label = f"evalbox.submission={interrupted}"
            wait_for(lambda: Submission.objects.get(pk=interrupted).status not in ("SUBMITTED", "QUEUED"), 60,
                     "the worker to take it")
            wait_for(lambda: _container_or_end(interrupted, label, daemon.host), 30,
                     "the container in the private daemon")
            daemon.restart()
            final = alice.wait_final(interrupted, timeout=90)
            after = alice.wait_final(alice.submit_accepted(quick_phase, quick_images["quick"]), timeout=90)
            alive = worker.process.poll() is None
            # A container whose removal failed while the daemon was down is reaped at the next start.
            worker.stop()
            restarted = start_compute_worker(e2e_queue, tmp_path / "restarted", worker_id=worker.worker_id, env=env)
            restarted.stop()
            leftovers = labelled_containers(f"evalbox.worker={worker.worker_id}", daemon.host)

    print("docker restart outcome:", {k: final.get(k) for k in ("status", "failure_reason", "failure_message")})
    # Either the run survived the restart, or it failed as the worker's fault (not counted in the quota).
    assert final["status"] == "FINISHED" or final["failure_reason"] == "worker_error", final
    assert after["status"] == "FINISHED" and alive, "the worker keeps working on the restarted daemon"
    assert leftovers == []


def test_a_program_ended_by_a_daemon_restart_is_not_its_own_failure(worker_config, busybox):
    # It exits 3 on the SIGTERM that a stopping daemon sends: an exit code the program did not choose to fail with.
    image = docker_images.busybox_script_image("interruptible", "trap 'exit 3' TERM\necho started\nsleep 60 &\nwait\n")
    limits = protocol.Limits(time_limit_s=60, memory_mb=128, pids=64, log_max_kb=64, output_max_mb=8)
    kwargs = sandbox.container_kwargs(limits, image=image, mounts=[], config=worker_config, submission_id=7,
                                      role="participant")
    ended: dict[str, object] = {}

    def run(client: docker.DockerClient) -> None:
        try:
            ended["outcome"] = runner.run_container(client, kwargs, time_limit_s=60, log_max_bytes=64 << 10)
        except Exception as exc:  # noqa: BLE001 - what the job reports as worker_error
            ended["error"] = exc

    with private_dockerd([image]) as daemon:
        client = docker.DockerClient(base_url=daemon.host)
        running = threading.Thread(target=run, args=(client,))
        running.start()
        label = f"{sandbox.LABEL_WORKER}={worker_config.worker_id}"
        wait_for(lambda: any("started" in c.logs().decode() for c in client.containers.list(filters={"label": label})),
                 30, "the program to start")
        daemon.restart()
        running.join(120)

    print("run ended by the restart:", ended)
    assert not running.is_alive()
    if "outcome" in ended:  # the engine answered again before the run was settled: its log tells what happened
        outcome = ended["outcome"]
        assert outcome.exit_code == 3 and outcome.stopped_from_outside, outcome
        failure = classify_run(outcome, limits=limits, runtime="runc", scoring=False)
        assert failure.reason == FailureReason.WORKER_ERROR
    else:  # the engine went away in the middle of a call: an error, which the job reports as worker_error
        assert isinstance(ended["error"], docker.errors.DockerException | requests.RequestException), ended
