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
from typing import Any

from . import protocol
from .config import WorkerConfig
from .engine import reap_leftovers
from .job import Job
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


def handle_message(kwargs: Any, *, config: WorkerConfig, delivery_count: int = 0) -> dict[str, Any]:
    """Run one task message to its end; return a small summary (the Celery task's result).

    Never raises for a bad message or a failed submission: those are reported to the site
    and the message is acknowledged. ``delivery_count`` is how many times the broker
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
    finally:
        site.close()
