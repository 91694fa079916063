"""One submission's run on this worker: its steps, from RUNNING to the result report.

:class:`Job` fetches the input data, has its :class:`Evaluation` run the participant's image
and collect its output, reports SCORING, fetches the reference data, has the scorer run and
``scores.json`` read. Every failure becomes a FAILED report with a reason and a clear message
(:class:`Failure`); the work directory, the data leases, the GPU slot and the containers are
always released. The site side of the job is its :class:`Reporter`, the Docker side its
:class:`Engine`, what it learned its :class:`JobRecord`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from pathlib import Path

from . import data_step, protocol, trees
from .config import WorkerConfig
from .data_cache import DataCache
from .engine import Engine
from .evaluation import Evaluation
from .failure import Failure, worker_error_message
from .job_record import JobRecord
from .protocol import MAX_FAILURE_DETAIL_CHARS, FailureReason, ResultReport, Status
from .reporter import Reporter
from .site_client import SiteClient, SiteError, SubmissionGone

logger = logging.getLogger(__name__)


def work_prefix(submission_id: int) -> str:
    """How the names of a submission's work directories start (under the worker's ``work_dir``)."""
    return f"sub{submission_id}-"


class Job:
    """One submission's run on this worker."""

    def __init__(self, request: protocol.RunRequest, config: WorkerConfig, site: SiteClient) -> None:
        self.request = request
        self.config = config
        self.record = JobRecord()
        self.reporter = Reporter(request, config, site, self.record)
        self.engine = Engine(config, request.limits, request.submission_id, request.allowed_registries,
                             request.scoring_image_keep_until, site_url=request.api_url)
        self.evaluation = Evaluation(self.engine, config, request.limits, request.submission_id, self.record,
                                     self.reporter)

    def run(self) -> ResultReport:
        """Run the submission and report its result; return that report with its final timings.

        Raises :class:`SubmissionGone` when the site cancelled or ended the submission meanwhile
        (nothing more is reported then).
        """
        try:
            report = self._conclusion()
            self.reporter.result(report)
            return dataclasses.replace(report, timings=dict(self.record.timings))
        finally:
            self.engine.close()

    def _conclusion(self) -> ResultReport:
        """Run the steps in a fresh work directory, removed afterwards; any failure becomes a FAILED report."""
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(self.reporter.close)
            try:
                Path(self.config.work_dir).mkdir(parents=True, exist_ok=True)
                work = Path(tempfile.mkdtemp(prefix=work_prefix(self.request.submission_id), dir=self.config.work_dir))
                cleanup.callback(trees.remove_tree, work)
                self.reporter.status(Status.RUNNING, "Started on worker " + self.config.worker_id)
                return self._steps(work)
            except SubmissionGone:
                raise
            except Failure as failure:
                return self._failed(failure)
            except Exception as exc:  # noqa: BLE001 - the worker must always report something
                logger.exception("submission %s: unexpected worker error", self.request.submission_id)
                message = worker_error_message(exc, self.config.worker_id)
                return self._failed(Failure(FailureReason.WORKER_ERROR, message))

    def _failed(self, failure: Failure) -> ResultReport:
        logger.info("submission %s: FAILED (%s) %s", self.request.submission_id, failure.reason.value, failure.message)
        return ResultReport(status=Status.FAILED, failure_reason=failure.reason, failure_message=failure.message[:4000],
                            failure_detail=failure.detail[:MAX_FAILURE_DETAIL_CHARS],
                            **self.record.report_fields(self.request.attempt, self.config.worker_id))

    def _steps(self, work: Path) -> ResultReport:
        request, config = self.request, self.config
        cache = DataCache(config.data_cache_dir, config.data_cache_mb, max_archive_mb=config.archive_max_mb,
                          max_files=config.archive_max_files)
        predictions = work / "predictions"
        with contextlib.ExitStack() as leases:
            if request.image:
                with self.record.timed("fetch_input"):
                    input_dir = self._lease(leases, cache, request.input_data_url, request.input_data_sha256, work,
                                            "input")
                token = self._pull_token() if request.pull_token_url else None
                self.evaluation.predict(request.image, input_dir, work, predictions, token=token)
            else:
                self.reporter.settle()
                with self.record.timed("fetch_input"):
                    data_step.fetch_predictions(self.reporter.fetch, request, work, predictions)
            self.reporter.status(Status.SCORING, "Scoring")
            with self.record.timed("fetch_reference"):
                reference_dir = self._lease(leases, cache, request.reference_data_url, request.reference_data_sha256,
                                            work, "reference")
            scores, detailed = self.evaluation.score(request.scoring_image, predictions, reference_dir, work)
        return ResultReport(status=Status.FINISHED, scores=scores, detailed_results=detailed,
                            **self.record.report_fields(request.attempt, config.worker_id))

    def _lease(self, stack: contextlib.ExitStack, cache: DataCache, url: str, sha256: str, work: Path,
               name: str) -> Path:
        return data_step.lease_data(stack, cache, url, sha256, fetch=self.reporter.fetch, work=work, name=name,
                                    submission_id=self.request.submission_id, before_fetch=self.reporter.settle)

    def _pull_token(self) -> protocol.PullToken:
        """The site's pull token for the participant's image; a refusal fails the job as access denied."""
        try:
            return self.reporter.pull_token()
        except SubmissionGone:
            raise
        except (SiteError, protocol.ProtocolError) as exc:
            raise Failure(FailureReason.IMAGE_UNAUTHORIZED,
                          f"The site gave no pull token for the image: {exc}") from exc
