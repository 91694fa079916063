"""The site's own Celery tasks (they run on the site's queue, never on a compute queue)."""

from __future__ import annotations

from celery import shared_task

from .sweep import sweep

SWEEP_TASK = "competition.sweep"


@shared_task(name=SWEEP_TASK)
def sweep_task() -> dict[str, int]:
    """Beat task: run :func:`competition.sweep.sweep` and return its counts."""
    return sweep().as_dict()
