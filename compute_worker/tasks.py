"""What one ``compute_worker.run_submission`` task does.

:func:`handle_message` is the whole task as a plain function (the Celery wrapper in
:mod:`compute_worker.celery_app` only adds the delivery count): validate the request, give up
on a message every worker died on, else run the :class:`Job` and summarize its result. Every
failure becomes a FAILED result with a reason and a clear message; a malformed message is
reported when it names a usable submission, and acknowledged either way.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

from . import protocol, trees
from .config import WorkerConfig
from .engine import reap_leftovers
from .failure import worker_error_message
from .job import Job, work_prefix
from .protocol import FailureReason, ResultReport, Status, transport
from .site_client import SiteClient, SiteError, SubmissionGone

logger = logging.getLogger(__name__)


def summarize(report: ResultReport) -> dict[str, Any]:
    """The Celery task's result: the outcome of a reported submission, in JSON."""
    return {"status": report.status.value,
            "failure_reason": report.failure_reason.value if report.failure_reason else None,
            "message": report.failure_message, "scores": report.scores, "timings": dict(report.timings)}


def _usable_for_report(kwargs: Any) -> tuple[str, str, int] | None:
    """``(api_url, token, submission_id)`` of a malformed message when they look usable."""
    if not isinstance(kwargs, dict):
        return None
    api_url, token, submission_id = kwargs.get("api_url"), kwargs.get("token"), kwargs.get("submission_id")
    if (isinstance(api_url, str) and api_url.startswith(("http://", "https://")) and api_url.endswith("/")
            and isinstance(token, str) and token and isinstance(submission_id, int)
            and not isinstance(submission_id, bool) and submission_id > 0):
        return api_url, token, submission_id
    return None


def _refuse(kwargs: Any, problem: protocol.ProtocolError, config: WorkerConfig) -> dict[str, Any]:
    """Report a malformed message as INVALID_REQUEST when it names a usable submission."""
    message = f"The worker refused the request: {problem}"
    logger.error("%s", message)
    attempt = kwargs.get("attempt") if isinstance(kwargs, dict) and isinstance(kwargs.get("attempt"), int) else 1
    report = ResultReport(status=Status.FAILED, failure_reason=FailureReason.INVALID_REQUEST,
                          failure_message=message, attempt=attempt)
    usable = _usable_for_report(kwargs)
    if usable:
        api_url, token, _ = usable
        site = SiteClient.for_worker(config, api_url, token)
        with contextlib.suppress(SiteError):
            site.result(report)
        site.close()
    return summarize(report)


def _give_up(request: protocol.RunRequest, site: SiteClient, config: WorkerConfig,
             delivery_count: int) -> dict[str, Any]:
    """End a message every worker running it died on as WORKER_LOST, with what the last one left removed."""
    message = f"the submission was delivered {delivery_count + 1} times and every worker running it died"
    logger.error("submission %s: %s", request.submission_id, message)
    reap_leftovers(config, request.submission_id)
    report = ResultReport(status=Status.FAILED, failure_reason=FailureReason.WORKER_LOST, failure_message=message,
                          attempt=request.attempt)
    with contextlib.suppress(SiteError):
        site.result(report)
    return summarize(report)


def _clean_up_after(config: WorkerConfig, submission_id: int) -> None:
    """Remove the containers and work directories of ``submission_id``, logging (not raising) what fails."""
    try:
        reap_leftovers(config, submission_id)
        work = Path(config.work_dir)
        for path in work.glob(work_prefix(submission_id) + "*") if work.is_dir() else ():
            trees.remove_tree(path)
    except Exception:  # noqa: BLE001 - the report must still go
        logger.exception("submission %s: cleaning up after the error failed", submission_id)


def _worker_error(request: protocol.RunRequest, site: SiteClient, config: WorkerConfig,
                  exc: Exception) -> dict[str, Any]:
    """End the submission FAILED (``worker_error``) after ``exc`` escaped the job, its leftovers removed."""
    logger.error("submission %s: an error escaped the job", request.submission_id, exc_info=exc)
    _clean_up_after(config, request.submission_id)
    report = ResultReport(status=Status.FAILED, failure_reason=FailureReason.WORKER_ERROR,
                          failure_message=worker_error_message(exc, config.worker_id),
                          attempt=request.attempt, worker=config.worker_id)
    with contextlib.suppress(SiteError):
        site.result(report)
    return summarize(report)


def handle_message(kwargs: Any, *, config: WorkerConfig, delivery_count: int = 0) -> dict[str, Any]:
    """Run one task message to its end; return a small summary (the Celery task's result).

    Never raises for a bad message or a failed submission: those are reported to the site
    and the message is acknowledged; so is any error that escapes the job (``worker_error``,
    its containers and work directories removed). ``delivery_count`` is how many times the broker
    delivered the message before (RabbitMQ's ``x-delivery-count``).
    """
    try:
        request = protocol.RunRequest.from_kwargs(kwargs)
    except protocol.ProtocolError as exc:
        return _refuse(kwargs, exc, config)
    site = SiteClient.for_worker(config, request.api_url, request.token)
    try:
        if delivery_count >= transport.DELIVERY_LIMIT - 1:
            return _give_up(request, site, config, delivery_count)
        return summarize(Job(request, config, site).run())
    except SubmissionGone as exc:
        logger.info("submission %s: stopping, %s", request.submission_id, exc)
        return {"status": "STOPPED", "message": str(exc)}
    except Exception as exc:  # noqa: BLE001 - RecursionError, MemoryError, a bug: never die silently
        return _worker_error(request, site, config, exc)
    finally:
        site.close()
