"""The submission state machine: worker reports, cancel and rerun, each under a row lock.

Rules (DESIGN.md section 4): only forward transitions
(:func:`compute_worker.protocol.is_forward_transition`); a report repeating the current state is
a no-op (for a status report, a heartbeat); anything reported on a final submission, or going
backwards, is refused with :class:`TransitionRefused` (HTTP 409) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from compute_worker.protocol import (
    FailureReason,
    LogReport,
    ResultReport,
    Status,
    StatusReport,
    is_forward_transition,
)

from .auth import token_matches
from .models import Submission


class TransitionRefused(Exception):
    """The report does not fit the submission's current state (HTTP 409)."""


class InvalidToken(Exception):
    """The worker token does not belong to the submission's current attempt (HTTP 401)."""


_STARTED_FIELD = {Status.RUNNING: "started_at", Status.SCORING: "scoring_at"}


def locked(submission_id: int, token: str | None, apply: Callable[[Submission], None]) -> Submission:
    """Run ``apply`` on the row-locked submission inside a transaction and return it.

    With a ``token``, it must match the submission's stored hash (constant-time comparison)
    or :class:`InvalidToken` is raised before anything is changed; a missing submission raises
    ``Submission.DoesNotExist``.
    """
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if token is not None and not token_matches(token, submission.token_hash):
            raise InvalidToken
        apply(submission)
        return submission


def _refuse_final(submission: Submission) -> None:
    if submission.is_final:
        raise TransitionRefused(f"The submission is already {submission.status}.")


def apply_status(submission: Submission, report: StatusReport) -> None:
    """Enter RUNNING/SCORING, or record a heartbeat when the status is unchanged."""
    _refuse_final(submission)
    now = timezone.now()
    current = submission.status_enum
    if report.status != current:
        if not is_forward_transition(current, report.status):
            raise TransitionRefused(f"The submission is {current.value}; it cannot go back to {report.status.value}.")
        submission.status = report.status.value
        setattr(submission, _STARTED_FIELD[report.status], now)
    submission.last_heartbeat = now
    submission.elapsed_s = report.elapsed_s
    submission.status_message = report.message
    submission.save()


def apply_logs(submission: Submission, report: LogReport) -> None:
    """Store the latest logs of a running container."""
    _refuse_final(submission)
    setattr(submission, f"{report.stream}_log", report.text)
    submission.last_heartbeat = timezone.now()
    submission.save(update_fields=[f"{report.stream}_log", "last_heartbeat"])


def apply_result(submission: Submission, report: ResultReport) -> None:
    """Finish the submission; a repeat of the result it already has is a no-op.

    A FINISHED result must carry the ranking column's key, otherwise the submission FAILS with
    a scoring error naming the column.
    """
    if submission.is_final and submission.status == report.status.value:
        return
    _refuse_final(submission)
    submission.image_digest = report.image_digest
    submission.image_labels = report.image_labels
    submission.exit_code = report.exit_code
    submission.duration_s = report.duration_s
    submission.peak_memory_bytes = report.peak_memory_bytes
    submission.participant_log = report.participant_log or submission.participant_log
    submission.scoring_log = report.scoring_log or submission.scoring_log
    submission.timings = report.timings
    if report.status is Status.FINISHED:
        ranking = submission.phase.ranking_column
        if ranking is not None and ranking.key not in report.scores:
            _fail(submission, FailureReason.SCORING_ERROR, f"scores.json lacks the ranking column '{ranking.key}'")
            return
        submission.scores = report.scores
        submission.rank_score = report.scores[ranking.key] if ranking is not None else None
        _finish(submission, Status.FINISHED)
    else:
        _fail(submission, report.failure_reason or FailureReason.WORKER_ERROR, report.failure_message)


def fail(submission: Submission, reason: FailureReason, message: str) -> None:
    """Mark a non-final submission FAILED (the sweep's worker-lost path)."""
    _refuse_final(submission)
    _fail(submission, reason, message)


def cancel(submission: Submission) -> None:
    """Cancel a non-final submission; its worker learns it from the 409 on its next report."""
    _refuse_final(submission)
    _finish(submission, Status.CANCELLED, status_message="Cancelled.")


def rerun(submission: Submission) -> None:
    """Start a new attempt: results cleared, attempt + 1, back to SUBMITTED with a new token.

    The only backward move, reserved to organizers; reports from the previous attempt are
    refused (401) because the token changes. The caller dispatches after commit.
    """
    submission.status = Status.SUBMITTED.value
    submission.attempt += 1
    submission.new_token()
    for name in ("status_message", "failure_reason", "failure_message", "image_digest",
                 "participant_log", "scoring_log"):
        setattr(submission, name, "")
    for name in ("queued_at", "started_at", "scoring_at", "finished_at", "last_heartbeat", "exit_code",
                 "duration_s", "peak_memory_bytes", "rank_score"):
        setattr(submission, name, None)
    submission.scores, submission.timings, submission.image_labels = {}, {}, {}
    submission.elapsed_s = 0.0
    submission.dispatch_attempts = 0
    submission.dispatched_at = timezone.now()  # the sweep leaves it to the dispatch after commit
    submission.save()


def _fail(submission: Submission, reason: FailureReason, message: str) -> None:
    submission.failure_reason = reason.value
    submission.failure_message = message
    submission.scores = {}
    submission.rank_score = None
    _finish(submission, Status.FAILED)


def _finish(submission: Submission, status: Status, status_message: str = "") -> None:
    submission.status = status.value
    submission.finished_at = timezone.now()
    submission.status_message = status_message  # the progress message of the last step is over
    submission.save()

