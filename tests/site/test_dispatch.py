"""Dispatch: the RunRequest, the embedded broker, real RabbitMQ, and a broker that is down."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery import Celery
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu import Queue

from competition.auth import token_matches
from competition.dispatch import broker_connection, build_run_request, dispatch
from competition.models import ComputeQueue, Submission
from competition.sweep import sweep
from compute_worker import protocol
from compute_worker.protocol import RunRequest, transport
from tests.helpers.broker import AMQP_URL, delete_queue, unique_name
from tests.helpers.site_api import submissions_url

pytestmark = pytest.mark.django_db


def closed_port_url() -> str:
    """An AMQP URL on a local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"amqp://guest:guest@127.0.0.1:{port}//"


def take_message(queue_name: str) -> tuple[dict, dict, RunRequest]:
    """Consume one message of the queue: (headers, properties, its RunRequest)."""
    with broker_connection() as connection:
        queue = transport.compute_queue(queue_name, settings.CELERY_BROKER_URL)(connection.default_channel)
        message = queue.get(no_ack=True)
        assert message is not None, "no message in the queue"
        args, kwargs, _embed = message.decode()
        assert args == []
        return message.headers, message.properties, RunRequest.from_kwargs(kwargs)


@pytest.fixture
def rabbitmq(settings, rabbitmq_url: str) -> Iterator[str]:
    """Point the site at the real RabbitMQ; yield a unique queue name, deleted afterwards."""
    settings.CELERY_BROKER_URL = rabbitmq_url
    name = unique_name("test")
    yield name
    delete_queue(name, rabbitmq_url)


def test_run_request_carries_the_phase(phase, participant, make_submission) -> None:
    phase.input_data.save("in.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=False)
    phase.input_data_sha256 = "a" * 64
    phase.time_limit_s, phase.gpus, phase.cpus = 30, 1, 2.5
    phase.save()
    phase.competition.allowed_registries = "ghcr.io\n docker.io \n"
    submission, _ = make_submission(phase, participant, attempt=3)
    request = RunRequest.from_kwargs(build_run_request(submission, "tok").to_kwargs())
    base = f"http://testserver/api/worker/submissions/{submission.pk}/"
    assert request.api_url == base and request.token == "tok" and request.attempt == 3
    assert (request.input_data_url, request.input_data_sha256) == (base + protocol.INPUT_DATA_PATH, "a" * 64)
    assert request.reference_data_url == "" and request.predictions_url == ""
    assert request.allowed_registries == ("ghcr.io", "docker.io")
    assert (request.limits.time_limit_s, request.limits.gpus, request.limits.cpus) == (30, 1, 2.5)
    assert (request.image, request.scoring_image) == ("docker.io/library/alpine:latest", phase.scoring_image)


def test_run_request_of_a_results_upload(phase, participant, make_submission) -> None:
    submission, _ = make_submission(phase, participant, image="", predictions_sha256="b" * 64)
    submission.predictions.save("p.zip", ContentFile(b"zip"), save=True)
    request = RunRequest.from_kwargs(build_run_request(submission, "tok").to_kwargs())
    assert request.image == ""
    assert request.predictions_url.endswith(f"/{submission.pk}/predictions")
    assert request.predictions_sha256 == "b" * 64


def test_site_and_worker_declare_the_same_queue(settings) -> None:
    """Both sides take the declaration from the contract: the site's message and the worker's queues."""
    from compute_worker.celery_app import configure
    from compute_worker.config import WorkerConfig

    for url in (AMQP_URL, "filesystem://"):
        worker = Celery("declares")
        configure(worker, WorkerConfig(broker_url=url, queues=("q",)))
        (declared,) = worker.conf.task_queues
        assert declared == transport.compute_queue("q", url)
        assert declared.queue_arguments == transport.compute_queue("q", url).queue_arguments


def test_embedded_broker_receives_the_task(api_for, participant, phase, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    assert Submission.objects.get(pk=response.json()["id"]).status == "QUEUED"
    headers, _properties, request = take_message("compute-worker")
    assert headers["task"] == protocol.TASK_NAME
    assert request.submission_id == response.json()["id"]


def test_a_new_submission_s_token_and_attempt_are_saved_with_its_insert_and_only_queued_takes_its_lock(
        api_for, participant, phase, django_capture_on_commit_callbacks) -> None:
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    submission = Submission.objects.get(pk=response.json()["id"])
    assert (submission.status, submission.dispatch_attempts) == ("QUEUED", 1) and submission.dispatched_at
    _headers, _properties, request = take_message("compute-worker")
    assert token_matches(request.token, submission.token_hash)  # the token saved with the insert was sent
    table = Submission._meta.db_table
    locks = [q["sql"] for q in captured if f'FROM "{table}"' in q["sql"] and "FOR UPDATE" in q["sql"]]
    writes = [q["sql"] for q in captured if q["sql"].startswith(f'UPDATE "{table}"')]
    assert len(locks) == 1 and len(writes) == 1  # marking it QUEUED; no transaction of its own for the send


@pytest.mark.rabbitmq
def test_rabbitmq_receives_the_task(rabbitmq, api_for, competition, participant, phase,
                                    django_capture_on_commit_callbacks) -> None:
    ComputeQueue.assign(rabbitmq, competition)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    assert response.status_code == 201
    submission = Submission.objects.get(pk=response.json()["id"])
    assert (submission.status, submission.dispatch_attempts) == ("QUEUED", 1) and submission.queued_at
    headers, properties, request = take_message(rabbitmq)
    assert headers["task"] == protocol.TASK_NAME
    assert properties["delivery_mode"] == 2
    assert headers["timelimit"] == [2 * 600 + 900, 2 * 600 + 900 - 60]  # [hard, soft]
    assert request.submission_id == submission.pk and request.image == "docker.io/library/alpine:latest"
    assert request.api_url == f"http://testserver/api/worker/submissions/{submission.pk}/"
    assert token_matches(request.token, submission.token_hash)


@pytest.mark.rabbitmq
def test_broker_down_then_back(rabbitmq, settings, api_for, competition, participant, phase,
                               django_capture_on_commit_callbacks) -> None:
    ComputeQueue.assign(rabbitmq, competition)
    settings.CELERY_BROKER_URL = closed_port_url()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    assert response.status_code == 201
    assert time.monotonic() - started < 10
    submission = Submission.objects.get(pk=response.json()["id"])
    assert (submission.status, submission.dispatch_attempts) == ("SUBMITTED", 1)
    assert sweep(timezone.now() + timedelta(minutes=1)).still_submitted == 1  # still down
    settings.CELERY_BROKER_URL = AMQP_URL
    assert sweep(timezone.now()).redispatched == 0  # tried a moment ago: left alone
    result = sweep(timezone.now() + timedelta(minutes=1))
    assert result.redispatched == 1
    submission.refresh_from_db()
    assert (submission.status, submission.dispatch_attempts) == ("QUEUED", 3)
    _headers, _properties, request = take_message(rabbitmq)
    assert request.submission_id == submission.pk


@pytest.mark.rabbitmq
def test_a_reused_connection_declares_the_queue_once_and_a_deleted_queue_still_gets_the_message(
        rabbitmq, competition, participant, phase, make_submission, mocker) -> None:
    ComputeQueue.assign(rabbitmq, competition)
    declares = mocker.spy(Queue, "declare")

    def send() -> int:
        submission, _token = make_submission(phase, participant, status="SUBMITTED")
        assert dispatch(submission.pk)
        return submission.pk

    sent = [send()]
    declared = declares.call_count
    assert declared >= 1  # whatever connection this thread had, it declared the new queue
    sent.append(send())
    assert declares.call_count == declared  # the second send reused the connection and its declaration
    assert [take_message(rabbitmq)[2].submission_id for _ in sent] == sent
    delete_queue(rabbitmq, settings.CELERY_BROKER_URL)
    late = send()  # the broker returned the mandatory message: sent again on a new connection, declared again
    assert declares.call_count == declared + 1
    assert take_message(rabbitmq)[2].submission_id == late
    assert Submission.objects.filter(pk=late).values_list("status", "dispatch_attempts").get() == ("QUEUED", 1)
