"""The site's Celery app: it sends compute tasks and runs the periodic sweep.

Run the sweep with ``celery -A competition.celery worker -B -Q evalbox-site`` (or a separate
``celery -A competition.celery beat``); every ``EVALBOX_SWEEP_INTERVAL_S`` seconds beat queues
``competition.sweep`` on the site's own queue, never on a compute queue.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "competition.settings")

from django.conf import settings  # noqa: E402  (after DJANGO_SETTINGS_MODULE is set)

from compute_worker.protocol import broker_transport_options  # noqa: E402

SITE_QUEUE = "evalbox-site"
SWEEP_TASK = "competition.sweep"


app = Celery("competition")
app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    broker_transport_options=broker_transport_options(settings.CELERY_BROKER_URL, settings.EVALBOX_BROKER_DIR),
    broker_connection_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
    broker_connection_retry_on_startup=True,
    task_default_queue=SITE_QUEUE,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    beat_schedule_filename=str(settings.VAR_DIR / "celerybeat-schedule"),
    beat_schedule={
        "evalbox-sweep": {"task": SWEEP_TASK, "schedule": float(settings.EVALBOX_SWEEP_INTERVAL_S)},
    },
)


@app.task(name=SWEEP_TASK)
def sweep_task() -> dict[str, int]:
    """Beat task: run :func:`competition.sweep.sweep` and return its counts."""
    from .sweep import sweep

    return sweep().as_dict()
