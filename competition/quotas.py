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

from django.utils import timezone

from .failures import PLATFORM_FAILURES
from .models import Participant, Phase, Submission
from .teams import quota_scope

_NOT_COUNTED = sorted(reason.value for reason in PLATFORM_FAILURES)


def quota_problem(participant: Participant, phase: Phase, now: datetime | None = None) -> str | None:
    """Why ``participant`` (or their team) may not submit to ``phase`` now (a quota is spent), or ``None``."""
    now = now or timezone.now()
    counted = Submission.objects.filter(quota_scope(participant), phase=phase).exclude(
        failure_reason__in=_NOT_COUNTED
    )
    who = "Your team has" if participant.team_id is not None else "You have"
    total = phase.max_submissions_total
    if total and counted.count() >= total:
        return f"{who} used all {total} submissions of this phase."
    daily = phase.max_submissions_per_day
    day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if daily and counted.filter(created__gte=day_start).count() >= daily:
        return f"{who} used today's {daily} submissions of this phase (the quota resets at 00:00 UTC)."
    return None
