"""The JSON shapes of submissions and leaderboards (the web pages' JavaScript reads them).

Callers load ``phase__columns`` (prefetch), ``phase__competition``, ``participant__user`` and
``team`` (select_related) so that serializing a list costs no extra query per submission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from compute_worker.protocol import Status

from .failures import failure_message
from .final_choice import choice_open
from .models import LeaderboardColumn, Submission
from .numbers import as_number, format_number
from .visibility import can_see_detailed_results, can_see_scores, private_message


def iso_time(value: datetime | None) -> str | None:
    """An ISO 8601 time stamp, or ``None``."""
    return value.isoformat() if value else None


def rounded(value: Any, column: LeaderboardColumn) -> float | None:
    """A score rounded to its column's precision (``None`` when missing or not a number)."""
    number = as_number(value)
    return None if number is None else round(number, column.precision)


def score_json(value: Any, column: LeaderboardColumn) -> dict[str, Any]:
    """One declared score: the column, the rounded value and ``text``, the site's rendering of it."""
    return {"key": column.key, "label": column.label, "precision": column.precision,
            "value": rounded(value, column), "text": format_number(value, column.precision)}


def declared_scores(submission: Submission) -> list[dict[str, Any]]:
    """The submission's scores in the phase's declared columns, in column order."""
    if not submission.scores:
        return []
    return [score_json(submission.scores.get(column.key), column) for column in submission.phase.columns.all()]


def _logs(submission: Submission, *, organizer: bool, scores_shown: bool) -> dict[str, str | None] | None:
    """The logs a viewer may read: organizers', or when the competition allows; no scoring log while scores are hidden.

    A scorer may print the scores in its log, so it is hidden exactly when the scores are.
    """
    if not (organizer or submission.phase.competition.participants_see_logs):
        return None
    return {"participant": submission.participant_log, "scoring": submission.scoring_log if scores_shown else None}


def submission_json(submission: Submission, *, organizer: bool) -> dict[str, Any]:
    """A submission as the API returns it, with what :mod:`competition.visibility` lets the viewer see.

    While the phase's scores are private to a participant, ``scores`` is empty, ``scores_hidden``
    true and ``scores_message`` says until when; no scoring log and no detailed results either.

    What the program wrote (logs, progress message, metadata) only for organizers or when the
    competition allows participants to read their logs: it can carry anything the program read.
    """
    phase = submission.phase
    show_logs = organizer or phase.competition.participants_see_logs
    scores_shown = can_see_scores(phase, organizer=organizer)
    results_url = (reverse("submission_results", args=[phase.competition.slug, submission.pk])
                   if can_see_detailed_results(submission, organizer=organizer) else None)
    return {
        "id": submission.pk,
        "status": submission.status,
        "image": submission.image,
        "image_typed": submission.image_typed,
        "image_pinned": submission.image_pinned,
        "phase": phase.pk,
        "phase_name": phase.name,
        "participant": submission.participant.user.get_username(),
        "team": submission.team.slug if submission.team_id else None,
        "created": iso_time(submission.created),
        "queued_at": iso_time(submission.queued_at),
        "started_at": iso_time(submission.started_at),
        "scoring_at": iso_time(submission.scoring_at),
        "finished_at": iso_time(submission.finished_at),
        "elapsed_s": submission.elapsed_s,
        "time_limit_s": phase.time_limit_s,
        "progress": submission.progress,
        "progress_message": submission.progress_message if show_logs else None,
        "status_message": submission.status_message,
        "failure_reason": submission.failure_reason or None,
        "failure_label": submission.failure_label or None,
        "failure_message": failure_message(submission.failure_reason, submission.failure_message,
                                           organizer=organizer) or None,
        **({"failure_detail": submission.failure_detail or None} if organizer else {}),
        "exit_code": submission.exit_code,
        "duration_s": submission.duration_s,
        "image_digest": submission.image_digest,
        "scores": declared_scores(submission) if scores_shown else [],
        "scores_hidden": not scores_shown,
        "scores_message": "" if scores_shown else private_message(phase),
        "detailed_results_url": results_url,
        "final": submission.final_choice,
        "can_mark_final": choice_open(phase) and submission.status not in (Status.FAILED, Status.CANCELLED),
        "logs": _logs(submission, organizer=organizer, scores_shown=scores_shown),
        "metadata": submission.metadata if show_logs else None,
        "can_cancel": not submission.is_final,
    }
