"""Submission quotas of a phase: per UTC day and in total, per participant.

Every submission counts, whatever its outcome, except those that failed through no fault of the
participant (the worker was lost or broke). :func:`quota_problem` must run after the
participant's row was locked (``select_for_update``), so that concurrent posts are counted
one after the other.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from .failures import PLATFORM_FAILURES
from .models import Participant, Phase, Submission

_NOT_COUNTED = sorted(reason.value for reason in PLATFORM_FAILURES)


def lock_participant(participant_id: int) -> Participant:
    """Lock and return the participant's row (call inside a transaction)."""
    return Participant.objects.select_for_update().get(pk=participant_id)


def quota_problem(participant: Participant, phase: Phase, now: datetime | None = None) -> str | None:
    """Why ``participant`` may not submit to ``phase`` now (a quota is spent), or ``None``."""
    now = now or timezone.now()
    counted = Submission.objects.filter(participant=participant, phase=phase).exclude(
        failure_reason__in=_NOT_COUNTED
    )
    total = phase.max_submissions_total
    if total and counted.count() >= total:
        return f"You have used all {total} submissions of this phase."
    daily = phase.max_submissions_per_day
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if daily and counted.filter(created__gte=day_start).count() >= daily:
        return f"You have used today's {daily} submissions of this phase (the quota resets at 00:00 UTC)."
    return None
