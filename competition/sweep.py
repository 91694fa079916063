"""The periodic sweep (Celery beat task ``competition.sweep`` and ``manage.py sweep``).

1. SUBMITTED submissions older than ``EVALBOX_REDISPATCH_AFTER_S`` are sent again: their
   dispatch failed (broker down) or the process died between commit and send.
2. RUNNING/SCORING submissions whose last sign of life (heartbeat, else the time they started)
   is older than their time limit plus ``EVALBOX_HEARTBEAT_MARGIN_S`` are FAILED (worker lost).
3. QUEUED submissions are never failed: they are waiting for a free worker, which can take
   long when many are queued. Those queued for more than ``EVALBOX_QUEUED_WARNING_S`` are
   only counted and logged, so an operator can add workers or check the queue.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from compute_worker.protocol import FailureReason, Status

from .dispatch import dispatch
from .models import Submission
from .transitions import TransitionRefused, fail, locked

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    redispatched: int = 0
    still_submitted: int = 0
    failed_lost: int = 0
    queued_long: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a dict (the Celery task's result, the command's output)."""
        return asdict(self)


def _lost_message(submission: Submission, silent_s: float) -> str:
    return (
        f"No news from the worker for {silent_s:.0f} s while {submission.status}; the time limit is "
        f"{submission.phase.time_limit_s} s plus a margin of {settings.EVALBOX_HEARTBEAT_MARGIN_S} s. "
        "The worker probably stopped; an organizer can rerun the submission."
    )


def _last_sign_of_life(submission: Submission) -> datetime:
    return submission.last_heartbeat or submission.scoring_at or submission.started_at or submission.created


def fail_lost(now: datetime) -> int:
    """Fail RUNNING/SCORING submissions silent past their limit plus the margin; return how many."""
    margin = settings.EVALBOX_HEARTBEAT_MARGIN_S
    candidates = (
        Submission.objects.filter(status__in=[Status.RUNNING.value, Status.SCORING.value])
        .annotate(last_sign=Coalesce("last_heartbeat", "scoring_at", "started_at", "created"))
        .filter(last_sign__lt=now - timedelta(seconds=margin))
        .values_list("pk", flat=True)
    )

    def apply(submission: Submission) -> None:
        silent_s = (now - _last_sign_of_life(submission)).total_seconds()
        if silent_s <= submission.phase.time_limit_s + margin:
            raise TransitionRefused("still within its time limit plus the margin")
        fail(submission, FailureReason.WORKER_LOST, _lost_message(submission, silent_s))

    failed = 0
    for pk in list(candidates):
        try:
            locked(pk, None, apply)
        except (TransitionRefused, Submission.DoesNotExist):
            continue
        logger.warning("Submission %s failed: worker lost", pk)
        failed += 1
    return failed


def sweep(now: datetime | None = None) -> SweepResult:
    """Run the three steps of the sweep once."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EVALBOX_REDISPATCH_AFTER_S)
    pending = list(
        Submission.objects.filter(status=Status.SUBMITTED.value)
        .annotate(last_try=Coalesce("dispatched_at", "created"))
        .filter(last_try__lt=stale)
        .order_by("created")
        .values_list("pk", flat=True)
    )
    sent = sum(1 for pk in pending if dispatch(pk))
    failed = fail_lost(now)
    queued_long = Submission.objects.filter(
        status=Status.QUEUED.value, queued_at__lt=now - timedelta(seconds=settings.EVALBOX_QUEUED_WARNING_S)
    ).count()
    if queued_long:
        logger.warning("%s submissions are queued for more than %s s: are enough workers consuming the queues?",
                       queued_long, settings.EVALBOX_QUEUED_WARNING_S)
    return SweepResult(redispatched=sent, still_submitted=len(pending) - sent, failed_lost=failed,
                       queued_long=queued_long)
