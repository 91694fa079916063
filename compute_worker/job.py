"""One submission's run on this worker: its steps, from RUNNING to the result report.

:class:`Job` fetches the input data, resolves the participant's image, runs it in the sandbox,
collects its output, reports SCORING, fetches the reference data, runs the scorer and reads
``scores.json``. Every failure becomes a FAILED report with a reason and a clear message
(:class:`Failure`, most of them from :func:`classify_run`); the work directory, the data
leases, the GPU slot and the containers are always released. The site side of the job is its
:class:`Reporter`, the Docker side its :class:`Engine`, what it learned its :class:`JobRecord`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import docker

from . import data_step, outputs, protocol, runner, sandbox
from .classification import classify_run
from .config import WorkerConfig
from .data_cache import DataCache
from .engine import Engine
from .failure import Failure
from .job_record import JobRecord
from .protocol import FailureReason, ResultReport, Status
from .reporter import Reporter
from .sandbox import BindMount
from .site_client import SiteClient, SiteError, SubmissionGone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Stage:
    """How a sandboxed run of one role is timed, reported and told apart when the site cancels it."""

    timing: str
    status: Status
    message: str
    cancelled: str


_STAGES = {
    "participant": _Stage("participant_run", Status.RUNNING, "Running", "cancelled by the site while running"),
    "scoring": _Stage("scoring", Status.SCORING, "Scoring", "cancelled by the site during scoring"),
}


def sandbox_directory(path: Path, sandbox_user: str) -> Path:
    """Create ``path`` writable by the sandbox user only (or by anyone if we cannot chown)."""
    path.mkdir()
    uid, gid = (int(x) for x in sandbox_user.split(":"))
    try:
        os.chown(path, uid, gid)
        os.chmod(path, 0o700)
    except PermissionError:
        os.chmod(path, 0o777)
    return path


class Job:
    """One submission's run on this worker."""

    def __init__(self, request: protocol.RunRequest, config: WorkerConfig, site: SiteClient,
                 docker_client: docker.DockerClient | None = None) -> None:
        self.request = request
        self.config = config
        self.record = JobRecord()
        self.reporter = Reporter(request, config, site, self.record)
        self.engine = Engine(request, config, docker_client)

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
                work = Path(tempfile.mkdtemp(prefix=f"sub{self.request.submission_id}-", dir=self.config.work_dir))
                cleanup.callback(shutil.rmtree, work, ignore_errors=True)
                self.reporter.status(Status.RUNNING, "Started on worker " + self.config.worker_id)
                return self._steps(work)
            except SubmissionGone:
                raise
            except Failure as failure:
                return self._failed(failure)
            except Exception as exc:  # noqa: BLE001 - the worker must always report something
                logger.exception("submission %s: unexpected worker error", self.request.submission_id)
                return self._failed(Failure(FailureReason.WORKER_ERROR,
                                            f"Unexpected worker error: {type(exc).__name__}: {exc}"))

    def _failed(self, failure: Failure) -> ResultReport:
        logger.info("submission %s: FAILED (%s) %s", self.request.submission_id, failure.reason.value, failure.message)
        return ResultReport(status=Status.FAILED, failure_reason=failure.reason, failure_message=failure.message[:4000],
                            **self.record.report_fields(self.request.attempt))

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
                self._predict(input_dir, work, predictions)
            else:
                with self.record.timed("fetch_input"):
                    data_step.fetch_predictions(self.reporter.fetch, request, work, predictions)
            self.reporter.status(Status.SCORING, "Scoring")
            with self.record.timed("fetch_reference"):
                reference_dir = self._lease(leases, cache, request.reference_data_url, request.reference_data_sha256,
                                            work, "reference")
            scores, detailed = self._score(predictions, reference_dir, work)
        return ResultReport(status=Status.FINISHED, scores=scores, detailed_results=detailed,
                            **self.record.report_fields(request.attempt))

    def _lease(self, stack: contextlib.ExitStack, cache: DataCache, url: str, sha256: str, work: Path,
               name: str) -> Path:
        return data_step.lease_data(stack, cache, url, sha256, fetch=self.reporter.fetch, work=work, name=name,
                                    submission_id=self.request.submission_id)

    def _predict(self, input_dir: Path, work: Path, predictions: Path) -> None:
        """Run the participant's image on the input data and collect its output into ``predictions``."""
        request, limits = self.request, self.request.limits
        token = self._pull_token() if request.pull_token_url else None
        with self.record.timed("image_inspect"):
            image = self.engine.resolve(request.image, participant=True, token=token,
                                        progress=lambda message: self.reporter.progress(Status.RUNNING, message))
            self.engine.reap_previous()
        self.record.image_digest = image.digest
        self.record.keep_labels(image.labels)
        out_dir = sandbox_directory(work / "out", self.config.sandbox_user)
        mounts = [BindMount(str(input_dir), "/mnt/in", True), BindMount(str(out_dir), "/mnt/out", False)]
        with contextlib.ExitStack() as slot:
            gpu_ids = self.engine.hold_gpus(slot)
            kwargs = sandbox.container_kwargs(limits, image=image.image_id, mounts=mounts, config=self.config,
                                              submission_id=request.submission_id, role="participant",
                                              gpu_ids=gpu_ids)
            cap = runner.OutputCap(out_dir, limits.output_max_mb * (1 << 20), outputs.MAX_OUTPUT_FILES)
            self.record.participant = self._run("participant", kwargs, cap)
        self._judge("participant", self.record.participant)
        try:
            collected = outputs.collect_output(out_dir, predictions, max_bytes=limits.output_max_mb * (1 << 20))
        except outputs.OutputProblem as exc:
            raise Failure(exc.reason, str(exc)) from exc
        except OSError as exc:
            raise Failure(FailureReason.BAD_OUTPUT, f"The output could not be collected: {exc}") from exc
        logger.info("submission %s: %s", request.submission_id, collected.summary())

    def _pull_token(self) -> protocol.PullToken:
        """The site's pull token for the participant's image; a refusal fails the job as access denied."""
        try:
            return self.reporter.pull_token()
        except SubmissionGone:
            raise
        except (SiteError, protocol.ProtocolError) as exc:
            raise Failure(FailureReason.IMAGE_UNAUTHORIZED,
                          f"The site gave no pull token for the image: {exc}") from exc

    def _score(self, predictions: Path, reference_dir: Path, work: Path) -> tuple[dict[str, float], str]:
        """Run the scoring image on the predictions and the reference data; its scores and detailed results."""
        with self.record.timed("image_inspect"):
            scoring_image = self.engine.resolve(self.request.scoring_image, participant=False,
                                                progress=lambda message: self.reporter.progress(Status.SCORING,
                                                                                                message))
        scores_dir = sandbox_directory(work / "scores", self.config.sandbox_user)
        mounts = [BindMount(str(predictions), "/mnt/predictions", True),
                  BindMount(str(reference_dir), "/mnt/reference", True),
                  BindMount(str(scores_dir), "/mnt/out", False)]
        kwargs = sandbox.container_kwargs(self.request.limits, image=scoring_image.image_id, mounts=mounts,
                                          config=self.config, submission_id=self.request.submission_id,
                                          role="scoring")
        cap = runner.OutputCap(scores_dir, outputs.MAX_SCORER_OUTPUT_BYTES)
        self.record.scoring = self._run("scoring", kwargs, cap)
        self._judge("scoring", self.record.scoring)
        try:
            return outputs.read_scores(scores_dir), outputs.read_detailed_results(scores_dir)
        except outputs.OutputProblem as exc:
            raise Failure(exc.reason, str(exc)) from exc

    def _run(self, role: str, kwargs: dict, cap: runner.OutputCap) -> runner.RunOutcome:
        stage = _STAGES[role]
        with self.record.timed(stage.timing):
            return self.engine.run(kwargs, heartbeat=self.reporter.heartbeat(stage.status, stage.message), cap=cap)

    def _judge(self, role: str, outcome: runner.RunOutcome) -> None:
        """Post the run's log; stop if the site cancelled it, fail as :func:`classify_run` says."""
        self.reporter.logs(role, outcome)
        if outcome.cancelled:
            raise SubmissionGone(_STAGES[role].cancelled)
        failure = classify_run(outcome, limits=self.request.limits, runtime=self.config.runtime,
                               scoring=role == "scoring")
        if failure:
            raise failure
