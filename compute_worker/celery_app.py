"""The worker's Celery application and its one task.

Reliability settings (docs/architecture.md, "Reliability"): late acknowledgement, rejection when the worker
process dies, prefetch 1, JSON only. On an AMQP broker every compute queue is a durable
RabbitMQ quorum queue declared by :func:`protocol.transport.compute_queue` (``x-delivery-limit``);
quorum queues do not support global QoS, which Celery 5.5+ detects
(``worker_detect_quorum_queues``, on by default and set explicitly here) and then applies the
prefetch limit per consumer.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from celery import Celery, Task
from celery import concurrency as celery_pools
from celery.signals import worker_init

from . import protocol
from .config import ConfigError, WorkerConfig
from .protocol.transport import broker_transport_options, compute_queue, prepare_broker

logger = logging.getLogger(__name__)

#: Hard Celery time limit per task, a backstop far above any container limit (the worker
#: enforces the container's own wall-clock limit). The site may send a tighter ``time_limit``.
DEFAULT_TASK_TIME_LIMIT_S = 8 * 24 * 3600


def configure(app: Celery, config: WorkerConfig) -> None:
    """Apply the worker's settings to ``app``."""
    prepare_broker(config.broker_url, config.broker_dir)
    app.conf.update(
        broker_url=config.broker_url,
        broker_transport_options=broker_transport_options(config.broker_url, config.broker_dir),
        broker_connection_retry_on_startup=True,
        task_queues=[compute_queue(name, config.broker_url) for name in config.queues],
        task_default_queue=config.queues[0],
        task_default_exchange=config.queues[0],
        task_default_routing_key=config.queues[0],
        task_create_missing_queues=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_detect_quorum_queues=True,
        worker_concurrency=config.concurrency,
        worker_pool=config.celery_pool,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        result_backend=None,
        task_ignore_result=True,
        task_time_limit=int(os.environ.get("EVALBOX_TASK_TIME_LIMIT_S", DEFAULT_TASK_TIME_LIMIT_S)),
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )


def _load_config() -> WorkerConfig:
    try:
        return WorkerConfig.from_env()
    except ConfigError as exc:
        print(f"evalbox compute worker: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


config = _load_config()
app = Celery("compute_worker")
configure(app, config)


def delivery_count(request: Any) -> int:
    """How many times the broker delivered this message before (RabbitMQ's ``x-delivery-count``).

    RabbitMQ quorum queues add the header to a message returned to the queue (the consuming
    channel closed or it was rejected with requeue); Celery copies message headers into the
    task request.
    """
    value = request.get("x-delivery-count") if request is not None else None
    if value is None:
        headers = getattr(request, "headers", None) or {}
        value = headers.get("x-delivery-count") if isinstance(headers, dict) else None
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


@app.task(name=protocol.TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_submission(self: Task, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run one submission (the kwargs are a :class:`protocol.RunRequest`)."""
    from .tasks import handle_message

    if args:
        kwargs = {"_positional_arguments": list(args), **kwargs}
    return handle_message(kwargs, config=config, delivery_count=delivery_count(self.request))


@worker_init.connect
def match_pool_to_concurrency(sender: Any, **_: Any) -> None:
    """The pool for the concurrency the worker really runs (``celery worker -c N`` too), before the pool starts.

    Celery's command line puts the configured pool (:attr:`WorkerConfig.celery_pool`) in place of
    its default ``--pool prefork``, so it cannot tell that default from an explicit choice of the
    configured pool: a ``--pool`` other than the configured one is kept, and ``EVALBOX_POOL``
    is the way to choose.
    """
    # ``-c auto`` (Celery counts the CPUs after this signal) means several slots.
    slots = int(sender.concurrency) if str(sender.concurrency).isdigit() else 0
    if sender.pool_cls in (config.celery_pool, celery_pools.get_implementation(config.celery_pool)):
        sender.pool_cls = config.pool_for(slots)


@worker_init.connect
def reap_orphans_at_start(**_: Any) -> None:
    """Remove containers this worker id left behind (a crash, a killed process)."""
    import docker

    from .runner import reap

    try:
        client = docker.from_env(timeout=30)
        removed = reap(client, config.worker_id)
        client.close()
    except Exception as exc:  # noqa: BLE001 - start anyway; --check tells the operator
        logger.error("could not reap orphan containers: %s", exc)
        return
    if removed:
        logger.warning("removed %d orphan container(s) of worker %s", len(removed), config.worker_id)
