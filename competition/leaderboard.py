"""The leaderboard of a phase: one row per owner (a team, else a participant alone), by the ranking column.

Which of an owner's FINISHED submissions makes its row is the phase's rule
(:class:`~competition.models.Selection`): the best by the ranking column (ties: the earlier
submission), the last submitted (ties: the higher id), or the best of those the owner marked as
final (:mod:`competition.final_choice`; an owner who marked none, or whose marked ones are not
FINISHED, is ranked by its best). Rows are ranked by the ranking score; equal scores rank the
earlier submission first. The rows come from one query with a window function
(``ROW_NUMBER() OVER (PARTITION BY owner ...)``), whatever the number of submissions;
``Submission.rank_score`` holds the ranking column's value, copied when the submission finished.
A phase without a ranking column has no rows, and a viewer who may not see the phase's scores
(:mod:`competition.visibility`) gets none either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, OrderBy, Q, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from compute_worker.protocol import Status

from .models import LeaderboardColumn, Phase, Selection, Submission
from .numbers import format_number
from .serializers import iso_time, rounded
from .visibility import can_see_scores, private_message, scores_public

#: The owner of a submission: its team, else its participant (two columns, so ids never collide).
OWNER = [Coalesce(F("team_id"), Value(0)), Case(When(team__isnull=True, then=F("participant_id")), default=Value(0))]


@dataclass(frozen=True)
class Leaderboard:
    """A phase, its declared columns and its ranked rows (none when the viewer may not see the scores)."""

    phase: Phase
    columns: list[LeaderboardColumn]
    rows: list[Submission]
    hidden: bool = False


#: What a leaderboard row (the JSON, the page, the CSV, the chart) reads of its submission.
ROW_FIELDS = ("participant_id", "team_id", "created", "scores", "participant__user__username", "team__name",
              "team__slug")


def owner_name(submission: Submission) -> str:
    """The name a row shows: the team's, else the participant's username."""
    return submission.team.name if submission.team_id else submission.participant.user.get_username()


def owner_filter(submissions: list[Submission]) -> Q:
    """The submissions of the owners of ``submissions``."""
    teams = {s.team_id for s in submissions if s.team_id}
    alone = {s.participant_id for s in submissions if not s.team_id}
    return Q(team_id__in=teams) | Q(team__isnull=True, participant_id__in=alone)


def owner_key(submission: Submission) -> tuple[str, int]:
    """A submission's owner as a key: ``("team", id)`` or ``("participant", id)``."""
    return ("team", submission.team_id) if submission.team_id else ("participant", submission.participant_id)


def _pick_order(phase: Phase, score: OrderBy) -> list[OrderBy]:
    """How an owner's finished submissions are ordered to pick the one that counts (the first)."""
    if phase.selection_rule == Selection.LAST:
        return [F("created").desc(), F("pk").desc()]
    if phase.selection_rule == Selection.CHOSEN:
        return [F("final_choice").desc(), score, F("created").asc(), F("pk").asc()]
    return [score, F("created").asc(), F("pk").asc()]


def counted_submissions(phase: Phase, ranking: LeaderboardColumn) -> list[Submission]:
    """The submission that counts for each owner of ``phase``, best first (one query)."""
    score = F("rank_score").asc() if ranking.sorting == LeaderboardColumn.ASCENDING else F("rank_score").desc()
    return list(
        Submission.objects.filter(phase=phase, status=Status.FINISHED.value, rank_score__isnull=False)
        .annotate(position=Window(RowNumber(), partition_by=OWNER, order_by=_pick_order(phase, score)))
        .filter(position=1)
        .select_related("participant__user", "team")
        .only(*ROW_FIELDS)  # not the logs, resources and results: the window would sort them all
        .order_by(score, F("created").asc(), F("pk").asc())
    )


def leaderboard(phase: Phase, *, organizer: bool) -> Leaderboard:
    """The phase's leaderboard as ``organizer`` (or anyone else) may see it (two queries: columns, rows)."""
    columns = list(phase.columns.all())
    if not can_see_scores(phase, organizer=organizer):
        return Leaderboard(phase=phase, columns=columns, rows=[], hidden=True)
    ranking = next((column for column in columns if column.ranks), None)
    rows = counted_submissions(phase, ranking) if ranking else []
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
                "participant": owner_name(submission),
                "team": submission.team.slug if submission.team_id else None,
                "submission_id": submission.pk,
                "created": iso_time(submission.created),
                "scores": {c.key: rounded(submission.scores.get(c.key), c) for c in board.columns},
                "scores_text": {c.key: format_number(submission.scores.get(c.key), c.precision) for c in board.columns},
            }
            for rank, submission in enumerate(board.rows, start=1)
        ],
    }


def leaderboard_for_phase(phase: Phase, *, organizer: bool) -> dict[str, Any]:
    """The phase's leaderboard as JSON (the API's answer; the web page renders the same)."""
    return leaderboard_json(leaderboard(phase, organizer=organizer))
