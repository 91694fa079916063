"""Sending submissions to the compute workers.

:func:`dispatch_on_commit` is called inside the transaction that reset a submission (a rerun);
once it commits, :func:`dispatch` gives the submission a fresh worker token, sends the task
:data:`~compute_worker.protocol.TASK_NAME` with the :class:`RunRequest` as kwargs to the
competition's queue, and marks it QUEUED. A new submission's first send
(:func:`dispatch_new_on_commit`) saves its token with the insert and sends once that commits.
When the broker is unreachable the submission stays SUBMITTED (``dispatch_attempts`` counts the
tries) and the sweep sends it again later: a POST never waits on a broken broker for more than
``CELERY_BROKER_CONNECTION_TIMEOUT`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu import Connection

from compute_worker import protocol
from compute_worker.protocol import FailureReason, Limits, RunRequest, Status, parse_reference
from compute_worker.protocol.transport import broker_transport_options, compute_queue, prepare_broker

from .models import Submission
from .registry.pinning import is_platform
from .transitions import TransitionRefused, fail, locked, mark_queued

logger = logging.getLogger(__name__)

#: The Celery hard time limit is a backstop behind the worker's own timeout.
_BACKSTOP_MARGIN_S = 15 * 60


def worker_api_url(submission_id: int) -> str:
    """The base URL of a submission's worker API (ends with ``/``)."""
    return f"{settings.EVALBOX_SITE_URL}/api/worker/submissions/{submission_id}/"


def build_run_request(submission: Submission, token: str) -> RunRequest:
    """The :class:`RunRequest` for ``submission`` carrying ``token`` (its phase and competition loaded)."""
    phase = submission.phase
    api_url = worker_api_url(submission.pk)

    def data(path: str, present: bool, digest: str) -> tuple[str, str]:
        return (api_url + path, digest) if present else ("", "")

    input_url, input_sha = data(protocol.INPUT_DATA_PATH, bool(phase.input_data), phase.input_data_sha256)
    reference_url, reference_sha = data(
        protocol.REFERENCE_DATA_PATH, bool(phase.reference_data), phase.reference_data_sha256
    )
    predictions_url, predictions_sha = data(
        protocol.PREDICTIONS_PATH, bool(submission.predictions), submission.predictions_sha256
    )
    image = "" if submission.predictions else submission.image_pinned or submission.image
    pull_token_url = ""
    if submission.image_pinned and is_platform(parse_reference(submission.image_pinned)):
        pull_token_url = api_url + protocol.REGISTRY_TOKEN_PATH
    return RunRequest(
        submission_id=submission.pk,
        image=image,
        scoring_image=phase.scoring_image,
        api_url=api_url,
        token=token,
        limits=Limits(
            time_limit_s=phase.time_limit_s, memory_mb=phase.memory_mb, cpus=phase.cpus, pids=phase.pids,
            gpus=phase.gpus, output_max_mb=phase.output_max_mb, log_max_kb=phase.log_max_kb,
        ),
        input_data_url=input_url,
        input_data_sha256=input_sha,
        reference_data_url=reference_url,
        reference_data_sha256=reference_sha,
        predictions_url=predictions_url,
        predictions_sha256=predictions_sha,
        allowed_registries=tuple(phase.competition.allowed_registry_list),
        attempt=submission.attempt,
        pull_token_url=pull_token_url,
        scoring_image_keep_until=phase.end.timestamp() if phase.end else 0.0,
    )


def broker_connection() -> Connection:
    """A new connection to ``CELERY_BROKER_URL`` with a short timeout (read at call time)."""
    url = settings.CELERY_BROKER_URL
    prepare_broker(url, settings.EVALBOX_BROKER_DIR)
    return Connection(
        url,
        connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        transport_options=broker_transport_options(url, settings.EVALBOX_BROKER_DIR),
    )


#: Each server thread keeps its broker connection between sends (a new AMQP connection costs
#: several round trips, most of a submission POST); see :func:`send_run_request`.
_local = threading.local()


def _drop_cached_connection() -> None:
    connection = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.release()


def _cached_connection() -> tuple[Connection, bool]:
    """This thread's open connection to ``CELERY_BROKER_URL`` and whether it was reused."""
    target = (settings.CELERY_BROKER_URL, str(settings.EVALBOX_BROKER_DIR))  # the embedded broker's folder too
    connection = getattr(_local, "connection", None)
    if connection is not None and _local.target == target and connection.connected:
        return connection, True
    _drop_cached_connection()
    connection = broker_connection()
    try:
        connection.ensure_connection(max_retries=0)  # fail at once; the sweep retries
    except BaseException:
        connection.release()
        raise
    _local.connection, _local.target = connection, target
    return connection, False


def send_run_request(request: RunRequest, queue_name: str) -> None:
    """Publish the task (persistent, confirmed, no retry); raise on any broker error.

    The thread's broker connection is reused, and declares the queue on its first send only. The
    message is mandatory: a queue deleted since (RabbitMQ would confirm a message it routed
    nowhere) makes the broker return it, which fails the send. When a send on a reused connection
    fails (the queue is gone, the broker restarted, the connection went stale) the connection is
    dropped and the send is tried once more on a fresh one, which declares the queue again.
    Publishing and its confirm wait at most ``CELERY_BROKER_CONNECTION_TIMEOUT`` seconds, as
    connecting does.
    """
    time_limit = 2 * request.limits.time_limit_s + _BACKSTOP_MARGIN_S
    timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
    while True:
        connection, reused = _cached_connection()
        try:
            current_app.send_task(
                protocol.TASK_NAME,
                kwargs=request.to_kwargs(),
                queue=compute_queue(queue_name, settings.CELERY_BROKER_URL),
                connection=connection,
                retry=False,
                delivery_mode=2,
                mandatory=True,
                time_limit=time_limit,
                soft_time_limit=time_limit - 60,
                timeout=timeout,
                confirm_timeout=timeout,
            )
            return
        except Exception:
            _drop_cached_connection()
            if not reused:
                raise
            logger.info("The send on the cached broker connection failed; sending again on a new one",
                        exc_info=True)


def dispatch(submission_id: int) -> bool:
    """Send a SUBMITTED submission to its queue; return whether it is now QUEUED.

    A fresh token is issued for every send, so only the latest message's worker can report. A
    competition whose queue it may not use (:meth:`Competition.queue_problem`) sends nothing:
    the submission FAILS as an invalid request naming the queue.
    """
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("phase__competition")
            .filter(pk=submission_id, status=Status.SUBMITTED.value)
            .first()
        )
        if submission is None:
            return False
        problem = submission.phase.competition.queue_problem()
        if problem:  # the form and the model refuse it too; the queue may have been unassigned since
            logger.warning("Submission %s not sent: %s", submission_id, problem)
            fail(submission, FailureReason.INVALID_REQUEST, problem)
            return False
        token = _ready_send(submission, F("dispatch_attempts") + 1)
        submission.save(update_fields=["token_hash", "dispatch_attempts", "dispatched_at"])
    return _send(submission, token)


def _ready_send(submission: Submission, attempts: int | F) -> str:
    """Give ``submission`` (unsaved) a fresh token, its attempt count and the send's time; return the token."""
    token = submission.new_token()
    submission.dispatch_attempts = attempts
    submission.dispatched_at = timezone.now()
    return token


def _send(submission: Submission, token: str) -> bool:
    """Publish ``submission``'s run request carrying ``token``, then mark it QUEUED; return whether it is."""
    queue = submission.phase.competition.queue_name
    try:
        send_run_request(build_run_request(submission, token), queue)
    except Exception:  # any broker or network error: the sweep retries later
        logger.warning("Dispatch of submission %s failed; it stays SUBMITTED", submission.pk, exc_info=True)
        return False
    logger.info("Submission %s sent to queue %s", submission.pk, queue)
    try:
        locked(submission.pk, None, mark_queued)
    except (TransitionRefused, Submission.DoesNotExist):
        return False  # a quick worker already reported RUNNING, or the submission was cancelled
    return True


def dispatch_new_on_commit(submission: Submission) -> None:
    """Ready the first send of ``submission``, which the current transaction is about to insert; send it on commit.

    Call it before the insert: the send's token and attempt are saved with it, so the first send
    needs no transaction of its own (nobody else can have sent a submission that did not exist).
    A competition whose queue it may not use goes through :func:`dispatch`, which fails it.
    """
    if submission.phase.competition.queue_problem():
        transaction.on_commit(lambda: dispatch(submission.pk))
        return
    token = _ready_send(submission, 1)
    transaction.on_commit(lambda: _send(submission, token))


def dispatch_on_commit(submission_id: int) -> None:
    """Dispatch ``submission_id`` once the current transaction commits."""
    transaction.on_commit(lambda: dispatch(submission_id))
