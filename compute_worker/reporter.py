"""The job's side of the site: status changes, heartbeats, logs, the result and downloads.

Status changes and the participant's whole log are sent in the background, one after another in
the order they were made, while the job goes on (resolving the next image, creating the next
container): :meth:`Reporter.settle` waits until the site took them, and the job settles before
anything that needs the site to know: the participant's start (a cancelled submission runs no
participant code), a download (the site serves the data only in the right state), a pull token,
a progress heartbeat and the result. The scorer does not wait: the job settles once it started,
before its time limit's clock, and a refusal stops it. The time the job waits on the site is
timed under the step ``reports`` of its :class:`JobRecord`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path

from . import protocol
from .config import WorkerConfig
from .followers import LiveRun
from .job_record import JobRecord
from .live_reports import Watcher, running_report
from .protocol import ResultReport, Status, StatusReport
from .runner import RunOutcome, Watch
from .site_client import SiteClient, SiteError, SubmissionGone

logger = logging.getLogger(__name__)

#: Heartbeats use a short HTTP timeout so they never hold up the wait loop for long.
HEARTBEAT_TIMEOUT_S = 5.0


class Reporter:
    """Talks to the site for one submission: ``site`` retries, heartbeats go once and quickly."""

    def __init__(self, request: protocol.RunRequest, config: WorkerConfig, site: SiteClient,
                 record: JobRecord) -> None:
        self.request = request
        self.config = config
        self.site = site
        self.record = record
        self.max_download_bytes = config.archive_max_mb * (1 << 20)
        self.heartbeat_site = SiteClient.for_worker(config, request.api_url, request.token,
                                                    timeout_s=HEARTBEAT_TIMEOUT_S)
        self.started = time.monotonic()
        self._sender = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports")
        self._sent: list[futures.Future[None]] = []

    def close(self) -> None:
        """Send what is still queued, close the heartbeat session (``site`` belongs to the caller)."""
        self._sender.shutdown(wait=True)
        self.heartbeat_site.close()

    def _send(self, post: Callable[[], None]) -> None:
        """Queue ``post`` behind the reports queued before it."""
        self._sent.append(self._sender.submit(post))

    def settle(self) -> None:
        """Wait until the site answered every queued report; raise what the first refused one raised.

        :class:`SubmissionGone` when the site answered 409, :class:`SiteError` when a status change
        could not be delivered within the retry budget.
        """
        sent, self._sent = self._sent, []
        if not sent:
            return
        with self.record.timed("reports"):
            futures.wait(sent)
        for answer in sent:
            answer.result()

    def status(self, status: Status, message: str) -> None:
        """Queue a status change (a 409 raises :class:`SubmissionGone` from the next :meth:`settle`)."""
        report = StatusReport(status=status, message=message, elapsed_s=round(time.monotonic() - self.started, 3),
                              attempt=self.request.attempt, worker=self.config.worker_id)
        self._send(lambda: self.site.status(report))

    def watcher(self, status: Status, message: str, stream: str) -> Watch:
        """The watch callback of a run (:class:`live_reports.Watcher`): heartbeats and live log chunks.

        The participant's run reports its metadata and resources too; the scorer's only its progress.
        """
        def report(live: LiveRun) -> StatusReport:
            return running_report(status, message, self.request.attempt, self.config.worker_id, live,
                                  with_metadata=stream == "participant")
        return Watcher(self.heartbeat_site, report, stream, heartbeat_s=self.config.heartbeat_s,
                       log_flush_s=self.config.log_flush_s)

    def progress(self, status: Status, message: str) -> None:
        """A heartbeat carrying ``message`` as it is (a long step's progress); a 409 raises :class:`SubmissionGone`."""
        self.settle()
        self.heartbeat_site.heartbeat(StatusReport(status=status, message=message,
                                                   elapsed_s=round(time.monotonic() - self.started, 3),
                                                   attempt=self.request.attempt))

    def pull_token(self) -> protocol.PullToken:
        """The site's pull token for the submission's image in the platform registry."""
        self.settle()
        with self.record.timed("reports"):
            return protocol.PullToken.from_json(self.site.get_json(self.request.pull_token_url))

    def logs(self, stream: str, outcome: RunOutcome) -> None:
        """Queue the participant's whole log (the site shows it while scoring runs); a refusal costs a warning.

        The scorer's whole log is not posted: the result report, which the job sends next whatever
        the scoring's end, carries it (one request less on the way to FINISHED).
        """
        if stream == "scoring":
            return
        report = protocol.LogReport(stream=stream, text=outcome.log[: protocol.MAX_REPORT_LOG_CHARS])

        def post() -> None:
            try:
                self.site.logs(report)
            except SubmissionGone:
                raise
            except SiteError as exc:
                logger.warning("logs not reported: %s", exc)
        self._send(post)

    def result(self, report: ResultReport) -> None:
        """POST the result with the timings so far, after the queued reports; a refusal or a down site is logged.

        Raises :class:`SubmissionGone` when the site refused a report queued before the result.
        """
        submission = self.request.submission_id
        try:
            self.settle()
        except SubmissionGone:
            raise
        except SiteError as exc:
            logger.error("submission %s: a report before the result was not delivered: %s", submission, exc)
        try:
            with self.record.timed("reports"):
                self.site.result(dataclasses.replace(report, timings=dict(self.record.timings)))
            logger.info("submission %s: %s reported", submission, report.status.value)
        except SubmissionGone as exc:
            logger.info("submission %s: result refused: %s", submission, exc)
        except SiteError as exc:
            logger.error("submission %s: the result could not be reported: %s", submission, exc)

    def fetch(self, url: str, destination: Path) -> str:
        """Download ``url`` with the submission's token; return its sha256 (the job settles before: see the module)."""
        return self.site.download(url, destination, max_bytes=self.max_download_bytes)
