"""The leaderboard of a phase: one row per owner (a team, else a participant alone), by the ranking column.

Which of an owner's FINISHED submissions makes its row is the phase's rule
(:class:`~competition.models.Selection`): the best by the ranking column (ties: the earlier
submission), the last submitted (ties: the higher id), or the best of those the owner marked as
final (:mod:`competition.final_choice`; an owner who marked none, or whose marked ones are not
FINISHED, is ranked by its best). Rows are ranked by the ranking score; equal scores rank the
earlier submission first. The rows come from one query, whatever the number of submissions: a
window function (``ROW_NUMBER() OVER (PARTITION BY owner ...)``) over the columns that pick each
owner's submission, read in owner order from the index ``submission_leaderboard`` alone, then only
the picked rows joined to their names, read as tuples (:class:`Row`) rather than model instances
(at 1 000 rows, building three models per row cost more than the query).
``Submission.rank_score`` holds the ranking column's value, copied when the submission finished;
``Submission.owner`` is the owner as one number, kept by PostgreSQL.
A phase without a ranking column has no rows, and a viewer who may not see the phase's scores
(:mod:`competition.visibility`) gets none either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, OrderBy, Q, Window
from django.db.models.functions import RowNumber

from compute_worker.protocol import Status

from .models import LeaderboardColumn, Phase, Selection, Submission
from .numbers import format_number
from .serializers import iso_time, rounded
from .visibility import can_see_scores, private_message, scores_public


@dataclass(frozen=True, slots=True)
class Row:
    """What a leaderboard row (the JSON, the page, the CSV, the chart) shows of the submission that counts."""

    pk: int
    owner: int
    team_id: int | None
    created: datetime
    scores: dict[str, Any]
    username: str
    team_name: str | None
    team_slug: str | None

    @property
    def name(self) -> str:
        """The name the row shows: the team's, else the participant's username."""
        return self.team_name if self.team_id else self.username


#: The submission's values a :class:`Row` holds, in its fields' order.
ROW_VALUES = ("pk", "owner", "team_id", "created", "scores", "participant__user__username", "team__name",
              "team__slug")


@dataclass(frozen=True)
class Leaderboard:
    """A phase, its declared columns and its ranked rows (none when the viewer may not see the scores)."""

    phase: Phase
    columns: list[LeaderboardColumn]
    rows: list[Row]
    hidden: bool = False


def owner_filter(rows: list[Row]) -> Q:
    """The submissions of the owners of ``rows``."""
    return Q(owner__in={row.owner for row in rows})


def _pick_order(phase: Phase, score: OrderBy) -> list[OrderBy]:
    """How an owner's finished submissions are ordered to pick the one that counts (the first)."""
    if phase.selection_rule == Selection.LAST:
        return [F("created").desc(), F("pk").desc()]
    if phase.selection_rule == Selection.CHOSEN:
        return [F("final_choice").desc(), score, F("created").asc(), F("pk").asc()]
    return [score, F("created").asc(), F("pk").asc()]


def counted_rows(phase: Phase, ranking: LeaderboardColumn) -> list[Row]:
    """The submission that counts for each owner of ``phase``, best first (one query)."""
    score = F("rank_score").asc() if ranking.sorting == LeaderboardColumn.ASCENDING else F("rank_score").desc()
    # The window reads every ranked submission: the columns that pick, from the index `submission_leaderboard`.
    picked = (
        Submission.objects.filter(phase=phase, status=Status.FINISHED.value, rank_score__isnull=False)
        .annotate(position=Window(RowNumber(), partition_by=F("owner"), order_by=_pick_order(phase, score)))
        .filter(position=1)
        .values("pk")
    )
    rows = Submission.objects.filter(pk__in=picked).order_by(score, F("created").asc(), F("pk").asc())
    return [Row(*values) for values in rows.values_list(*ROW_VALUES)]


def leaderboard(phase: Phase, *, organizer: bool) -> Leaderboard:
    """The phase's leaderboard as ``organizer`` (or anyone else) may see it (two queries: columns, rows)."""
    columns = list(phase.columns.all())
    if not can_see_scores(phase, organizer=organizer):
        return Leaderboard(phase=phase, columns=columns, rows=[], hidden=True)
    ranking = next((column for column in columns if column.ranks), None)
    rows = counted_rows(phase, ranking) if ranking else []
    return Leaderboard(phase=phase, columns=columns, rows=rows)


def leaderboard_json(board: Leaderboard) -> dict[str, Any]:
    """A phase's leaderboard: declared columns and one row per owner (the submission that counts).

    ``scores`` holds each declared column's value rounded to its precision, ``scores_text`` the
    same as the site writes it (:func:`competition.numbers.format_number`), which the pages, the
    CSV and the ``evalbox`` CLI print as they are. ``private`` says whether participants see the
    scores now; ``hidden`` that this viewer does not (then ``rows`` is empty and ``message`` says why).
    """
    phase = board.phase
    return {
        "phase": phase.pk,
        "phase_name": phase.name,
        "visibility": phase.leaderboard_visibility,
        "selection_rule": phase.selection_rule,
        "private": not scores_public(phase),
        "hidden": board.hidden,
        "message": private_message(phase) if board.hidden else "",
        "columns": [
            {"key": c.key, "label": c.label, "sorting": c.sorting, "precision": c.precision, "ranks": c.ranks}
            for c in board.columns
        ],
        "rows": [
            {
                "rank": rank,
                "participant": row.name,
                "team": row.team_slug if row.team_id else None,
                "submission_id": row.pk,
                "created": iso_time(row.created),
                "scores": {c.key: rounded(row.scores.get(c.key), c) for c in board.columns},
                "scores_text": {c.key: format_number(row.scores.get(c.key), c.precision) for c in board.columns},
            }
            for rank, row in enumerate(board.rows, start=1)
        ],
    }


def leaderboard_for_phase(phase: Phase, *, organizer: bool) -> dict[str, Any]:
    """The phase's leaderboard as JSON (the API's answer; the web page renders the same)."""
    return leaderboard_json(leaderboard(phase, organizer=organizer))
