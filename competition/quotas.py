"""Submission quotas of a phase: per UTC day and in total, per participant or per team.

Every submission counts, whatever its outcome (a cancelled one too), except those that failed
through no fault of the participant (:data:`competition.failures.PLATFORM_FAILURES`).
A team's members share the team's quota; a
participant alone counts every submission they made (:func:`competition.teams.quota_scope`).
:func:`quota_problem` must run after the submitter's rows were locked
(:func:`competition.teams.lock_submitter`: the participant, then the team), so that concurrent
posts, a team's members' included, are counted one after the other.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count, Q
from django.utils import timezone

from .failures import PLATFORM_FAILURES
from .models import Participant, Phase, Submission
from .teams import quota_scope

_NOT_COUNTED = sorted(reason.value for reason in PLATFORM_FAILURES)


def _counted(participant: Participant, phase: Phase, now: datetime) -> tuple[int, int]:
    """How many submissions of the quota's scope count against ``phase``'s quota: ``(today, in total)``."""
    counted = Submission.objects.filter(quota_scope(participant), phase=phase).exclude(
        failure_reason__in=_NOT_COUNTED
    )
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = counted.aggregate(today=Count("pk", filter=Q(created__gte=day_start)), total=Count("pk"))
    return counts["today"], counts["total"]


def remaining(participant: Participant, phase: Phase, now: datetime | None = None) -> dict[str, int | None]:
    """The submissions ``participant`` (or their team) may still make to ``phase``: ``today`` and ``total``
    (``None`` where the phase sets no quota)."""
    today, total = _counted(participant, phase, now or timezone.now())
    daily_cap, total_cap = phase.max_submissions_per_day, phase.max_submissions_total
    left_total = max(0, total_cap - total) if total_cap else None
    left_today = max(0, daily_cap - today) if daily_cap else None
    if left_today is not None and left_total is not None:
        left_today = min(left_today, left_total)
    return {"today": left_today, "total": left_total}


def quota_problem(participant: Participant, phase: Phase, now: datetime | None = None) -> str | None:
    """Why ``participant`` (or their team) may not submit to ``phase`` now (a quota is spent), or ``None``."""
    today, total = _counted(participant, phase, now or timezone.now())
    who = "Your team has" if participant.team_id is not None else "You have"
    total_cap = phase.max_submissions_total
    if total_cap and total >= total_cap:
        return f"{who} used all {total_cap} submissions of this phase."
    daily = phase.max_submissions_per_day
    if daily and today >= daily:
        return f"{who} used today's {daily} submissions of this phase (the quota resets at 00:00 UTC)."
    return None
