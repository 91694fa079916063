"""The submission state machine: the only code that writes a submission's ``status``.

Every move is an :class:`~compute_worker.protocol.Action` checked against the contract's one
table (:data:`compute_worker.protocol.TRANSITIONS`) on the row-locked submission: the site's
dispatch (queue), a worker's reports (start, score, finish, fail), the sweep (fail), people
(cancel, rerun). A move the table does not allow raises :class:`TransitionRefused` (HTTP 409)
and changes nothing. Two repeats are not moves: a status report of the current state is a
heartbeat, and a result equal to the final state already reached is a no-op (reports are
retried, so they must be idempotent).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from compute_worker.protocol import (
    REPORTED_ACTIONS,
    Action,
    FailureReason,
    LogReport,
    ResultReport,
    Status,
    StatusReport,
    next_status,
)

from .auth import token_matches
from .live_logs import record_log
from .models import LeaderboardColumn, Submission
from .registry.pinning import pin_from_run
from .run_reports import RUNNING_FIELDS, record_result, record_running


class TransitionRefused(Exception):
    """The move does not fit the submission's current state (HTTP 409)."""


class InvalidToken(Exception):
    """The worker token does not belong to the submission's current attempt (HTTP 401)."""


#: The time stamp each state records when it is entered.
_ENTERED_FIELD = {Status.QUEUED: "queued_at", Status.RUNNING: "started_at", Status.SCORING: "scoring_at",
                  Status.FINISHED: "finished_at", Status.FAILED: "finished_at", Status.CANCELLED: "finished_at"}

#: What a new attempt clears (rerun).
_ATTEMPT_TEXTS = ("status_message", "failure_reason", "failure_message", "failure_detail", "image_digest",
                  "participant_log",
                  "scoring_log", "detailed_results", "worker", "progress_message")
_ATTEMPT_NULLS = ("queued_at", "started_at", "scoring_at", "finished_at", "last_heartbeat", "exit_code",
                  "duration_s", "peak_memory_bytes", "rank_score", "progress", "cpu_seconds", "scoring_exit_code")
_ATTEMPT_OBJECTS = ("scores", "timings", "image_labels", "metadata", "resources", "log_cursors")


_VERBS = {Action.QUEUE: "be queued", Action.START: "start running", Action.SCORE: "start scoring",
          Action.FINISH: "finish", Action.FAIL: "fail", Action.CANCEL: "be cancelled",
          Action.RERUN: "be rerun before it ends"}


def refusal(current: Status, action: Action) -> str:
    """Why ``action`` is refused in ``current``, in words for the API's 409 and the pages."""
    if current.is_final and action is not Action.RERUN:
        return f"The submission is already {current.value}."
    return f"The submission is {current.value}: it cannot {_VERBS[action]}."


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


def _move(submission: Submission, action: Action) -> Status:
    """Set the status ``action`` leads to (and its time stamp), unsaved; refuse a move off the table."""
    current = submission.status_enum
    target = next_status(current, action)
    if target is None:
        raise TransitionRefused(refusal(current, action))
    submission.status = target.value
    if target in _ENTERED_FIELD:
        setattr(submission, _ENTERED_FIELD[target], timezone.now())
    return target


def mark_queued(submission: Submission) -> None:
    """SUBMITTED -> QUEUED once the broker confirmed the task (the dispatch's move)."""
    _move(submission, Action.QUEUE)
    submission.save(update_fields=["status", "queued_at"])


def apply_status(submission: Submission, report: StatusReport) -> None:
    """A worker entered RUNNING or SCORING, or (same status again) sent a heartbeat."""
    entered = submission.status_enum is not report.status  # else a heartbeat (reports are never final)
    moved = ("status", _ENTERED_FIELD[_move(submission, REPORTED_ACTIONS[report.status])]) if entered else ()
    record_running(submission, report, entered=entered)
    submission.last_heartbeat = timezone.now()
    submission.elapsed_s = report.elapsed_s
    submission.status_message = report.message
    # Only what a report changes: a full save would rewrite the logs (up to megabytes) at every heartbeat.
    submission.save(update_fields=[*moved, *RUNNING_FIELDS, "last_heartbeat", "elapsed_s", "status_message"])


def apply_logs(submission: Submission, report: LogReport) -> None:
    """Add a live chunk to a running container's log, or store its final log (refused once final)."""
    if submission.is_final:
        raise TransitionRefused(f"The submission is already {submission.status}.")
    field = record_log(submission, report)
    submission.last_heartbeat = timezone.now()
    submission.save(update_fields=[field, "log_cursors", "last_heartbeat"])


def apply_result(submission: Submission, report: ResultReport) -> None:
    """Finish or fail the submission; a repeat of the result it already has is a no-op.

    A FINISHED result must carry the ranking column's key, otherwise the submission FAILS with
    a scoring error naming the column.
    """
    if submission.is_final and submission.status == report.status.value:
        return
    action = REPORTED_ACTIONS[report.status]
    if next_status(submission.status_enum, action) is None:
        raise TransitionRefused(refusal(submission.status_enum, action))
    submission.image_digest = report.image_digest
    if not submission.image_pinned and submission.image:
        submission.image_pinned = pin_from_run(submission.image, report.image_digest)
    submission.image_labels = report.image_labels
    submission.exit_code = report.exit_code
    submission.duration_s = report.duration_s
    submission.peak_memory_bytes = report.peak_memory_bytes
    submission.participant_log = report.participant_log or submission.participant_log
    submission.scoring_log = report.scoring_log or submission.scoring_log
    submission.timings = report.timings
    record_result(submission, report)
    if report.status is Status.FAILED:
        fail(submission, report.failure_reason or FailureReason.WORKER_ERROR, report.failure_message,
             detail=report.failure_detail)
        return
    ranking = LeaderboardColumn.ranking_of(submission.phase_id)
    if ranking is not None and ranking.key not in report.scores:
        fail(submission, FailureReason.SCORING_ERROR, f"scores.json lacks the ranking column '{ranking.key}'")
        return
    _move(submission, Action.FINISH)
    submission.scores = report.scores
    submission.detailed_results = report.detailed_results
    submission.rank_score = report.scores[ranking.key] if ranking is not None else None
    submission.status_message = ""  # the progress message of the last step is over
    submission.save()


def fail(submission: Submission, reason: FailureReason, message: str, *, detail: str = "") -> None:
    """Mark a non-final submission FAILED with ``reason`` (a worker's result, or the sweep); it loses its final mark.

    ``detail`` (the worker's own words) is shown to organizers only.
    """
    _move(submission, Action.FAIL)
    submission.failure_reason = reason.value
    submission.failure_message = message
    submission.failure_detail = detail
    submission.scores = {}
    submission.detailed_results = ""
    submission.final_choice = False
    submission.rank_score = None
    submission.status_message = ""
    submission.save()


def cancel(submission: Submission) -> None:
    """Cancel a non-final submission (it loses its final mark); its worker learns it from the 409 on its next report."""
    _move(submission, Action.CANCEL)
    submission.final_choice = False
    submission.status_message = "Cancelled."
    submission.save()


def rerun(submission: Submission) -> None:
    """Start a new attempt of a final submission: results cleared, attempt + 1, SUBMITTED, new token.

    Reports from the previous attempt are refused (401) because the token changes. The caller
    dispatches after commit (:func:`competition.actions.rerun_submission`).
    """
    _move(submission, Action.RERUN)
    submission.attempt += 1
    submission.new_token()
    for name in _ATTEMPT_TEXTS:
        setattr(submission, name, "")
    for name in _ATTEMPT_NULLS:
        setattr(submission, name, None)
    for name in _ATTEMPT_OBJECTS:
        setattr(submission, name, {})
    submission.elapsed_s = 0.0
    submission.dispatch_attempts = 0
    submission.dispatched_at = timezone.now()  # the sweep leaves it to the dispatch after commit
    submission.save()
