"""What a worker's reports tell of a run besides its state: progress, metadata, resources, the worker.

:mod:`competition.transitions` calls these on the locked submission, unsaved; the metadata
never reaches the scores or the leaderboard (only the scoring image's ``scores.json`` does).
"""

from __future__ import annotations

from compute_worker.protocol import ResultReport, StatusReport

from .models import Submission

#: The fields :func:`record_running` may change.
RUNNING_FIELDS = ("progress", "progress_message", "metadata", "resources", "worker")


def record_running(submission: Submission, report: StatusReport, *, entered: bool) -> None:
    """A RUNNING/SCORING report: the program's progress, metadata and resources so far.

    ``entered``: the report moved the submission to a new state, whose progress starts afresh.
    """
    if entered or report.progress is not None:
        submission.progress = report.progress
        submission.progress_message = report.progress_message
    if report.metadata is not None:
        submission.metadata = report.metadata
    if report.resources is not None:
        submission.resources = report.resources
    if report.worker:
        submission.worker = report.worker


def record_result(submission: Submission, report: ResultReport) -> None:
    """A result: the run's final figures (what heartbeats brought is kept when the result has none)."""
    submission.worker = report.worker or submission.worker
    submission.cpu_seconds = report.cpu_seconds
    submission.scoring_exit_code = report.scoring_exit_code
    submission.metadata = report.metadata or submission.metadata
    submission.resources = report.resources or submission.resources
