"""Submission rows for the participate tab, with the very keys of the submissions JSON.

The page renders these server-side (so the table works before any JavaScript runs) from
``competition.serializers.submission_json`` — the API's own shape — plus a few display-only
keys; ``static/js/submissions.js`` then redraws the rows from
``GET /api/competitions/<slug>/submissions/?phase=<id>``.
"""

from __future__ import annotations

from competition.models import Participant, Phase, Submission
from competition.serializers import submission_json
from competition.teams import visible_scope
from compute_worker.protocol import Status

ACTIVE = {Status.RUNNING.value, Status.SCORING.value}
BADGES = {
    Status.SUBMITTED.value: "text-bg-secondary",
    Status.QUEUED.value: "text-bg-info",
    Status.RUNNING.value: "text-bg-primary",
    Status.SCORING.value: "text-bg-primary",
    Status.FINISHED.value: "text-bg-success",
    Status.FAILED.value: "text-bg-danger",
    Status.CANCELLED.value: "text-bg-warning",
}
MAX_ROWS = 100


def image_digest(row: dict) -> str:
    """The digest that runs: pinned at submission, else the one the first run pulled (``""`` when unknown)."""
    pinned = row.get("image_pinned") or row.get("image_digest") or ""
    return pinned.rsplit("@", 1)[1] if "@" in pinned else pinned if pinned.startswith("sha256:") else ""


def progress_percent(row: dict) -> int:
    """The bar's width: the program's own progress when it reports one, else the elapsed time over the limit."""
    if row.get("progress") is not None:
        return min(100, int(100 * row["progress"]))
    elapsed = float(row.get("elapsed_s") or 0.0)
    limit = row.get("time_limit_s") or 0
    return min(100, int(100 * elapsed / limit)) if limit else 0


def submission_row(submission: Submission, *, organizer: bool) -> dict:
    """One row: the API's JSON of the submission plus display-only keys."""
    row = submission_json(submission, organizer=organizer)
    row.update(
        created_at=submission.created,
        badge=BADGES.get(submission.status, "text-bg-secondary"),
        active=submission.status in ACTIVE,
        progress_pct=progress_percent(row),
        digest=image_digest(row),
    )
    return row


def rows_for(participant: Participant | None, phase: Phase, *, organizer: bool) -> list[dict]:
    """The rows of ``participant``'s (and their team's) submissions to ``phase``, newest first."""
    if participant is None:
        return []
    submissions = (
        Submission.objects.filter(visible_scope(participant), phase=phase)
        .select_related("phase__competition", "participant__user", "team")
        .prefetch_related("phase__columns")
        .order_by("-created", "-pk")[:MAX_ROWS]
    )
    return [submission_row(s, organizer=organizer) for s in submissions]
