"""What the organizer's submissions page shows about the broker: queue depth and connected workers.

Both answers are bounded in time and never raise: an unreachable broker, the embedded
filesystem broker (which has neither passive declares nor broadcast) or a queue nobody declared
yet become a message the page shows instead of a number.

- :func:`queue_depth` asks RabbitMQ with ``queue_declare(passive=True)`` (never creates the queue).
- :func:`connected_workers` asks every worker on the broker with Celery's remote control
  (``ping``, ``active`` and ``active_queues``, the commands behind ``celery inspect``, in
  parallel, each with a short timeout) through the site's Celery app's mailbox.
- :func:`restricted` keeps of that answer what an organizer may see: the workers of their
  competition's queues, those queues only, and the tasks of their own submissions.
"""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from celery import current_app
from django.conf import settings
from kombu import Connection

from compute_worker.protocol.transport import broker_transport_options, is_amqp

logger = logging.getLogger(__name__)

#: Seconds to wait for the broker's connection and for the workers' replies.
TIMEOUT_S = 1.5


@dataclass(frozen=True)
class QueueDepth:
    """Messages ready in a queue and its consumers, or why they are unknown (``problem``)."""

    name: str
    messages: int | None = None
    consumers: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class WorkerInfo:
    """One worker that answered: its name, the queues it consumes, the tasks it runs (and how many
    more it runs that the viewer may not see)."""

    name: str
    queues: list[str] = field(default_factory=list)
    active: list[dict[str, Any]] = field(default_factory=list)
    other_tasks: int = 0


@dataclass(frozen=True)
class WorkersAnswer:
    """The workers that answered within the timeout, or why nobody could be asked (``problem``)."""

    workers: list[WorkerInfo] = field(default_factory=list)
    problem: str = ""


def _embedded_broker(url: str) -> bool:
    return not is_amqp(url)


def _connection(url: str) -> Connection:
    return Connection(
        url,
        connect_timeout=min(TIMEOUT_S, settings.CELERY_BROKER_CONNECTION_TIMEOUT),
        transport_options=broker_transport_options(url, settings.EVALBOX_BROKER_DIR),
    )


def queue_depth(queue: str) -> QueueDepth:
    """How many messages wait in ``queue`` on the site's broker (RabbitMQ only)."""
    url = settings.CELERY_BROKER_URL
    if _embedded_broker(url):
        return QueueDepth(queue, problem="The embedded filesystem broker cannot report queue depths; "
                                         "use RabbitMQ (CELERY_BROKER_URL=amqp://...) to see them.")
    try:
        with _connection(url) as connection:
            connection.ensure_connection(max_retries=0)
            channel = connection.channel()
            try:
                _, messages, consumers = channel.queue_declare(queue=queue, passive=True)
            finally:
                with contextlib.suppress(Exception):  # a channel closed by a 404 cannot be closed again
                    channel.close()
    except Exception as exc:  # noqa: BLE001 - any broker error becomes a message on the page
        text = str(exc)
        if "NOT_FOUND" in text or "404" in text:
            return QueueDepth(queue, problem=f"The queue '{queue}' does not exist yet: no worker has declared "
                                             "it and nothing was sent to it.")
        logger.info("Queue depth of %s unavailable: %s", queue, exc)
        return QueueDepth(queue, problem=f"The broker could not be reached ({type(exc).__name__}: {text[:200]}).")
    return QueueDepth(queue, messages=int(messages), consumers=int(consumers))


def _inspect(command: str) -> dict[str, Any]:
    """Broadcast a Celery remote-control ``command`` on the site's app; ``{worker: reply}``.

    The app's mailbox is bound to a connection of our own with a short connect timeout, and
    publishes on it (not through the app's producer pool, which is tied to the broker the app
    was configured with at import time and retries without bound).
    """
    with _connection(settings.CELERY_BROKER_URL) as connection:
        connection.ensure_connection(max_retries=0)
        mailbox = current_app.control.mailbox(connection)  # a bound copy: the change below stays local
        mailbox._producer_pool = None
        replies = mailbox._broadcast(command, {}, reply=True, timeout=TIMEOUT_S) or []
    merged: dict[str, Any] = {}
    for reply in replies:
        if isinstance(reply, dict):
            merged.update(reply)
    return merged


def connected_workers() -> WorkersAnswer:
    """The workers answering ``ping`` within :data:`TIMEOUT_S`, with their queues and running tasks."""
    if _embedded_broker(settings.CELERY_BROKER_URL):
        return WorkersAnswer(problem="The embedded filesystem broker cannot reach workers (no broadcast); "
                                     "use RabbitMQ to list them, or Flower.")
    commands = ("ping", "active", "active_queues")
    pool = ThreadPoolExecutor(max_workers=len(commands), thread_name_prefix="evalbox-inspect")
    try:
        futures = [pool.submit(_inspect, command) for command in commands]
        # A hard deadline on top of the broker timeouts: the page never waits longer than this.
        ping, active, queues = (future.result(timeout=2 * TIMEOUT_S + 1) for future in futures)
    except FutureTimeout:
        return WorkersAnswer(problem="The broker did not answer in time.")
    except Exception as exc:  # noqa: BLE001 - any broker error becomes a message on the page
        logger.info("Worker inspection failed: %s", exc)
        return WorkersAnswer(problem=f"The broker could not be reached ({type(exc).__name__}: {str(exc)[:200]}).")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    workers = [
        WorkerInfo(
            name=name,
            queues=sorted(q.get("name", "") for q in queues.get(name) or [] if isinstance(q, dict)),
            active=[
                {"id": task.get("id", ""), "submission_id": (task.get("kwargs") or {}).get("submission_id")}
                for task in active.get(name) or [] if isinstance(task, dict)
            ],
        )
        for name in sorted(set(ping) | set(active) | set(queues))
    ]
    return WorkersAnswer(workers=workers)


def submission_ids(answer: WorkersAnswer) -> set[int]:
    """The submission ids of every task the workers said they run."""
    return {task["submission_id"] for worker in answer.workers for task in worker.active
            if isinstance(task.get("submission_id"), int)}


def restricted(answer: WorkersAnswer, queues: set[str], own_submissions: set[int]) -> WorkersAnswer:
    """The workers consuming one of ``queues``, showing only those queues and the tasks of
    ``own_submissions``; the other tasks are only counted (``other_tasks``)."""
    workers = []
    for worker in answer.workers:
        shown = [name for name in worker.queues if name in queues]
        if not shown:
            continue
        mine = [task for task in worker.active if task.get("submission_id") in own_submissions]
        workers.append(WorkerInfo(name=worker.name, queues=shown, active=mine,
                                  other_tasks=len(worker.active) - len(mine)))
    return WorkersAnswer(workers=workers, problem=answer.problem)
