"""The leaderboard of a phase: each participant's best FINISHED submission by the ranking column.

Ties on the ranking score go to the earlier submission. The rows come from one query with a
window function (``ROW_NUMBER() OVER (PARTITION BY participant ...)``), whatever the number of
submissions; ``Submission.rank_score`` holds the ranking column's value, copied when the
submission finished. A phase without a ranking column has no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from compute_worker.protocol import Status

from .models import LeaderboardColumn, Phase, Submission
from .numbers import format_number
from .serializers import iso_time, rounded


@dataclass(frozen=True)
class Leaderboard:
    """A phase, its declared columns and its ranked best submissions."""

    phase: Phase
    columns: list[LeaderboardColumn]
    rows: list[Submission]


def best_submissions(phase: Phase, ranking: LeaderboardColumn) -> list[Submission]:
    """Each participant's best finished submission of ``phase``, best first (one query)."""
    score = F("rank_score").asc() if ranking.sorting == LeaderboardColumn.ASCENDING else F("rank_score").desc()
    order = [score, F("created").asc(), F("pk").asc()]
    return list(
        Submission.objects.filter(phase=phase, status=Status.FINISHED.value, rank_score__isnull=False)
        .annotate(position=Window(RowNumber(), partition_by=[F("participant_id")], order_by=order))
        .filter(position=1)
        .select_related("participant__user")
        .order_by(*order)
    )


def leaderboard(phase: Phase) -> Leaderboard:
    """The phase's leaderboard (two queries: columns, rows)."""
    columns = list(phase.columns.all())
    ranking = next((column for column in columns if column.ranks), None)
    rows = best_submissions(phase, ranking) if ranking else []
    return Leaderboard(phase=phase, columns=columns, rows=rows)


def leaderboard_json(board: Leaderboard) -> dict[str, Any]:
    """A phase's leaderboard: declared columns and one row per participant (best submission).

    ``scores`` holds each declared column's value rounded to its precision, ``scores_text`` the
    same as the site writes it (:func:`competition.numbers.format_number`), which the pages, the
    CSV and the ``evalbox`` CLI print as they are.
    """
    return {
        "phase": board.phase.pk,
        "phase_name": board.phase.name,
        "columns": [
            {"key": c.key, "label": c.label, "sorting": c.sorting, "precision": c.precision, "ranks": c.ranks}
            for c in board.columns
        ],
        "rows": [
            {
                "rank": rank,
                "participant": submission.participant.user.get_username(),
                "submission_id": submission.pk,
                "created": iso_time(submission.created),
                "scores": {c.key: rounded(submission.scores.get(c.key), c) for c in board.columns},
                "scores_text": {c.key: format_number(submission.scores.get(c.key), c.precision) for c in board.columns},
            }
            for rank, submission in enumerate(board.rows, start=1)
        ],
    }


def leaderboard_for_phase(phase: Phase) -> dict[str, Any]:
    """The phase's leaderboard as JSON (the API's answer; the web page renders the same)."""
    return leaderboard_json(leaderboard(phase))
