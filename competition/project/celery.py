"""The site's Celery app: it sends compute tasks and runs the periodic sweep.

Run the sweep with ``celery -A competition.project.celery worker -B -Q evalbox-site`` (or a
separate ``celery -A competition.project.celery beat``); every ``EVALBOX_SWEEP_INTERVAL_S``
seconds beat queues ``competition.sweep`` (``competition/tasks.py``) on the site's own queue,
never on a compute queue. Its settings are the ``CELERY_*`` Django settings.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "competition.project.settings")

app = Celery("competition")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
