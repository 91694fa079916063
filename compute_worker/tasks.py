"""What one ``compute_worker.run_submission`` task does (issue 3, "What one task does").

:func:`handle_message` is the whole task as a plain function (the Celery wrapper in
:mod:`compute_worker.celery_app` only adds the delivery count): validate the request, report
RUNNING, fetch the input data, resolve the image, run the participant container, collect its
output, report SCORING, fetch the reference data, run the scorer, read ``scores.json`` and
POST the result. Every failure becomes a FAILED result with a reason and a clear message;
the work directory and the containers are always removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests

from . import archives, gpu, images, outputs, protocol, runner, sandbox
from .config import WorkerConfig
from .data_cache import DataCache, DataError
from .protocol import FailureReason, ResultReport, Status, StatusReport, transport
from .site_client import SiteClient, SiteError, SubmissionGone

#: A scoring image exits with this code when the participant's output is malformed (the
#: submission fails as BAD_OUTPUT); any other non-zero exit is the scorer's own SCORING_ERROR.
SCORER_REJECTS_OUTPUT_EXIT_CODE = 2

logger = logging.getLogger(__name__)

#: Heartbeats use a short HTTP timeout so they never hold up the wait loop for long.
HEARTBEAT_TIMEOUT_S = 5.0
#: A runsc container that exits with code 2 within this many seconds and prints nothing most
#: likely never started (see :data:`sandbox.RUNSC_PIDS_FLOOR`).
RUNSC_SILENT_EXIT_S = 3.0


class Failure(Exception):
    """Ends the submission as FAILED with ``reason``; ``message`` is shown to people."""

    def __init__(self, reason: FailureReason, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.extra = extra


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


def _client(config: WorkerConfig, api_url: str, token: str, **kwargs: Any) -> SiteClient:
    return SiteClient(api_url, token, retries=config.report_retries, budget_s=config.report_retry_s, **kwargs)


def handle_message(kwargs: Any, *, config: WorkerConfig, delivery_count: int = 0) -> dict[str, Any]:
    """Run one task message to its end; return a small summary (the Celery task's result).

    Never raises for a bad message or a failed submission: those are reported to the site
    and the message is acknowledged. ``delivery_count`` is how many times the broker
    delivered the message before (RabbitMQ's ``x-delivery-count``).
    """
    try:
        request = protocol.RunRequest.from_kwargs(kwargs)
    except protocol.ProtocolError as exc:
        message = f"The worker refused the request: {exc}"
        logger.error("%s", message)
        usable = _usable_for_report(kwargs)
        if usable:
            api_url, token, _ = usable
            attempt = kwargs.get("attempt") if isinstance(kwargs.get("attempt"), int) else 1
            site = _client(config, api_url, token)
            with contextlib.suppress(SiteError):
                site.result(ResultReport(status=Status.FAILED, failure_reason=FailureReason.INVALID_REQUEST,
                                         failure_message=message, attempt=attempt))
            site.close()
        return {"status": Status.FAILED.value, "failure_reason": FailureReason.INVALID_REQUEST.value,
                "message": message}

    site = _client(config, request.api_url, request.token)
    try:
        if delivery_count >= transport.DELIVERY_LIMIT - 1:
            deliveries = delivery_count + 1
            message = f"the submission was delivered {deliveries} times and every worker running it died"
            logger.error("submission %s: %s", request.submission_id, message)
            _reap_submission(config, request.submission_id)
            with contextlib.suppress(SiteError):
                site.result(ResultReport(status=Status.FAILED, failure_reason=FailureReason.WORKER_LOST,
                                         failure_message=message, attempt=request.attempt))
            return {"status": Status.FAILED.value, "failure_reason": FailureReason.WORKER_LOST.value,
                    "message": message}
        return Job(request, config, site).run()
    finally:
        site.close()


def _reap_submission(config: WorkerConfig, submission_id: int) -> None:
    """Remove containers of ``submission_id`` that a dead task of this worker left behind."""
    try:
        client = docker.from_env(timeout=30)
    except docker.errors.DockerException as exc:
        logger.warning("cannot reap containers of submission %s: %s", submission_id, exc)
        return
    try:
        filters = {"label": [f"{sandbox.LABEL_SUBMISSION}={submission_id}",
                             f"{sandbox.LABEL_WORKER}={config.worker_id}"]}
        for container in client.containers.list(all=True, filters=filters):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)
    except (docker.errors.APIError, requests.RequestException) as exc:
        logger.warning("cannot reap containers of submission %s: %s", submission_id, exc)
    finally:
        client.close()


class Job:
    """One submission's run on this worker."""

    def __init__(self, request: protocol.RunRequest, config: WorkerConfig, site: SiteClient,
                 docker_client: docker.DockerClient | None = None) -> None:
        self.request = request
        self.config = config
        self.site = site
        self.heartbeat_site = _client(config, request.api_url, request.token, timeout_s=HEARTBEAT_TIMEOUT_S)
        self.docker = docker_client
        self.timings: dict[str, float] = {}
        self.started = time.monotonic()
        self.result: dict[str, Any] = {}
        self.participant: runner.RunOutcome | None = None
        self.scoring: runner.RunOutcome | None = None

    # ------------------------------------------------------------------ helpers
    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the block's duration to ``timings[step]``."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] = round(self.timings.get(step, 0.0) + time.monotonic() - start, 4)

    def report_status(self, status: Status, message: str) -> None:
        """POST a status change (raises :class:`SubmissionGone` on 409)."""
        with self.timed("reports"):
            self.site.status(StatusReport(status=status, message=message,
                                          elapsed_s=round(time.monotonic() - self.started, 3),
                                          attempt=self.request.attempt))

    def heartbeat(self, status: Status, message: str) -> Any:
        """A heartbeat callback for :func:`runner.run_container`; ``False`` when the site said 409."""
        def beat(elapsed: float) -> bool:
            try:
                self.heartbeat_site.heartbeat(StatusReport(status=status, message=f"{message} ({elapsed:.0f} s)",
                                                           elapsed_s=round(elapsed, 3), attempt=self.request.attempt))
            except SubmissionGone:
                return False
            return True
        return beat

    def fetcher(self, url: str, destination: Path) -> str:
        """Download ``url`` with the submission's token; return its sha256."""
        return self.site.download(url, destination, max_bytes=self.config.archive_max_mb * (1 << 20))

    def docker_client(self) -> docker.DockerClient:
        """The Docker client (created on first use)."""
        if self.docker is None:
            try:
                self.docker = docker.from_env(timeout=120)
                self.docker.ping()
            except (docker.errors.DockerException, requests.RequestException) as exc:
                raise Failure(FailureReason.WORKER_ERROR, f"The worker cannot reach its Docker engine: {exc}") from exc
        return self.docker

    # ------------------------------------------------------------------ steps
    def run(self) -> dict[str, Any]:
        """Run the submission and report its result; return a summary."""
        request = self.request
        work = None
        try:
            Path(self.config.work_dir).mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f"sub{request.submission_id}-", dir=self.config.work_dir))
            self.report_status(Status.RUNNING, "Started on worker " + self.config.worker_id)
            report = self._run(work)
        except SubmissionGone as exc:
            logger.info("submission %s: stopping, %s", request.submission_id, exc)
            return {"status": "STOPPED", "message": str(exc)}
        except Failure as failure:
            report = self._failed(failure)
        except Exception as exc:  # noqa: BLE001 - the worker must always report something
            logger.exception("submission %s: unexpected worker error", request.submission_id)
            report = self._failed(Failure(FailureReason.WORKER_ERROR, f"Unexpected worker error: {type(exc).__name__}: "
                                                                      f"{exc}"))
        finally:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            self.heartbeat_site.close()
        try:
            with self.timed("reports"):
                self.site.result(dataclasses.replace(report, timings=dict(self.timings)))
            logger.info("submission %s: %s reported", request.submission_id, report.status.value)
        except SubmissionGone as exc:
            logger.info("submission %s: result refused: %s", request.submission_id, exc)
        except SiteError as exc:
            logger.error("submission %s: the result could not be reported: %s", request.submission_id, exc)
        finally:
            if self.docker is not None:
                self.docker.close()
        return {"status": report.status.value,
                "failure_reason": report.failure_reason.value if report.failure_reason else None,
                "message": report.failure_message, "scores": report.scores, "timings": dict(self.timings)}

    def _base_report(self) -> dict[str, Any]:
        participant, scoring = self.participant, self.scoring
        return {
            "image_digest": self.result.get("image_digest", ""),
            "image_labels": self.result.get("image_labels", {}),
            "exit_code": participant.exit_code if participant else None,
            "duration_s": round(participant.duration_s, 3) if participant else None,
            "peak_memory_bytes": participant.peak_memory_bytes if participant else None,
            "participant_log": participant.log[: protocol.MAX_REPORT_LOG_CHARS] if participant else "",
            "scoring_log": scoring.log[: protocol.MAX_REPORT_LOG_CHARS] if scoring else "",
            "attempt": self.request.attempt,
        }

    def _failed(self, failure: Failure) -> ResultReport:
        logger.info("submission %s: FAILED (%s) %s", self.request.submission_id, failure.reason.value, failure.message)
        return ResultReport(status=Status.FAILED, failure_reason=failure.reason,
                            failure_message=failure.message[:4000], **self._base_report())

    @contextlib.contextmanager
    def data(self, cache: DataCache, url: str, sha256: str, work: Path, name: str) -> Iterator[Path]:
        """The extracted data at ``url`` (or an empty directory when there is none)."""
        if not url:
            empty = work / f"empty-{name}"
            empty.mkdir(mode=0o755)
            yield empty
            return
        try:
            lease = cache.lease(sha256, url, self.fetcher)
            entry = lease.__enter__()
            logger.info("submission %s: %s data %s (%s)", self.request.submission_id, name, sha256[:12],
                        "fetched and extracted" if entry.fetched else "from the cache")
        except SubmissionGone:
            raise
        except DataError as exc:
            raise Failure(FailureReason.DATA_ERROR, f"The {name} data could not be prepared: {exc}") from exc
        try:
            yield entry.path
        finally:
            lease.__exit__(None, None, None)

    def _resolve(self, reference: str, *, participant: bool) -> images.ResolvedImage:
        try:
            return images.resolve_image(
                self.docker_client(), reference, pull_policy=self.config.pull_policy,
                worker_registries=self.config.allowed_registries,
                request_registries=self.request.allowed_registries if participant else (),
                max_image_mb=self.config.max_image_mb)
        except images.ImageProblem as exc:
            if not participant:
                raise Failure(FailureReason.SCORING_ERROR, f"The scoring image is unusable: {exc}") from exc
            raise Failure(exc.reason, str(exc)) from exc

    def _reap_previous(self) -> None:
        """Remove containers a previous attempt of this submission left on this worker."""
        _reap_submission(self.config, self.request.submission_id)

    def _silent_runsc_exit(self, outcome: runner.RunOutcome) -> bool:
        return (self.config.runtime == "runsc" and outcome.exit_code == 2
                and outcome.duration_s < RUNSC_SILENT_EXIT_S and not outcome.log.strip())

    def _run(self, work: Path) -> ResultReport:
        request, config, limits = self.request, self.config, self.request.limits
        cache = DataCache(config.data_cache_dir, config.data_cache_mb, max_archive_mb=config.archive_max_mb,
                          max_files=config.archive_max_files)
        predictions = work / "predictions"
        with contextlib.ExitStack() as stack:
            if request.image:
                with self.timed("fetch_input"):
                    input_dir = stack.enter_context(
                        self.data(cache, request.input_data_url, request.input_data_sha256, work, "input"))
                with self.timed("image_inspect"):
                    image = self._resolve(request.image, participant=True)
                    self._reap_previous()
                self.result["image_digest"] = image.digest
                # Bounded like the site bounds them: a label may be megabytes long, and a result
                # body the site refuses (413) would leave the submission without a result.
                self.result["image_labels"] = {key[:200]: value[:1000]
                                               for key, value in list(image.labels.items())[:100]}
                self.participant = self._run_participant(image, input_dir, work, predictions)
            else:
                with self.timed("fetch_input"):
                    self._fetch_predictions(work, predictions)
            self.report_status(Status.SCORING, "Scoring")
            with self.timed("fetch_reference"):
                reference_dir = stack.enter_context(
                    self.data(cache, request.reference_data_url, request.reference_data_sha256, work, "reference"))
            with self.timed("image_inspect"):
                scoring_image = self._resolve(request.scoring_image, participant=False)
            scores_dir = work / "scores"
            scores_dir.mkdir()
            self._give_to_sandbox(scores_dir)
            mounts = [sandbox.BindMount(str(predictions), "/mnt/predictions", True),
                      sandbox.BindMount(str(reference_dir), "/mnt/reference", True),
                      sandbox.BindMount(str(scores_dir), "/mnt/out", False)]
            kwargs = sandbox.container_kwargs(dataclasses.replace(limits, gpus=0), image=scoring_image.image_id,
                                              mounts=mounts, config=config, submission_id=request.submission_id,
                                              role="scoring")
            with self.timed("scoring"):
                outcome = runner.run_container(
                    self.docker_client(), kwargs, time_limit_s=limits.time_limit_s,
                    log_max_bytes=limits.log_max_kb * 1024, heartbeat=self.heartbeat(Status.SCORING, "Scoring"),
                    heartbeat_s=config.heartbeat_s, output_dir=scores_dir,
                    output_max_bytes=outputs.MAX_SCORES_BYTES * 2)
            self.scoring = outcome
            self._post_log("scoring", outcome)
            if outcome.cancelled:
                raise SubmissionGone("cancelled by the site during scoring")
            problem = self._classify(outcome, scoring=True)
            if problem:
                raise problem
            try:
                scores = outputs.read_scores(scores_dir)
            except outputs.OutputProblem as exc:
                raise Failure(exc.reason, str(exc)) from exc
        return ResultReport(status=Status.FINISHED, scores=scores, **self._base_report())

    def _give_to_sandbox(self, directory: Path) -> None:
        """Make ``directory`` writable by the sandbox user only (or by anyone if we cannot chown)."""
        uid, gid = (int(x) for x in self.config.sandbox_user.split(":"))
        try:
            os.chown(directory, uid, gid)
            os.chmod(directory, 0o700)
        except PermissionError:
            os.chmod(directory, 0o777)

    def _post_log(self, stream: str, outcome: runner.RunOutcome) -> None:
        try:
            with self.timed("reports"):
                self.site.logs(protocol.LogReport(stream=stream, text=outcome.log[: protocol.MAX_REPORT_LOG_CHARS]))
        except SubmissionGone:
            raise
        except SiteError as exc:
            logger.warning("logs not reported: %s", exc)

    def _classify(self, outcome: runner.RunOutcome, *, scoring: bool) -> Failure | None:
        limits = self.request.limits
        who = "The scoring program" if scoring else "Your program"
        reason = FailureReason.SCORING_ERROR if scoring else None
        if outcome.vanished:
            return Failure(reason or FailureReason.CONTAINER_VANISHED,
                           f"{who}'s container disappeared while it ran (removed from outside the worker).")
        if self._silent_runsc_exit(outcome):
            return Failure(FailureReason.RUNTIME_ERROR,
                           "The gVisor (runsc) sandbox exited with code 2 at start-up without any output: the "
                           "container runtime could not start it (usually a pids limit too low for gVisor's own "
                           f"threads; the worker applied {sandbox.effective_pids_limit(limits.pids, 'runsc')}).")
        if outcome.error and outcome.exit_code is None:
            return Failure(FailureReason.RUNTIME_ERROR, f"{who} could not be started: {outcome.error}")
        if outcome.timed_out:
            return Failure(reason or FailureReason.TIME_LIMIT,
                           f"{who} ran longer than the time limit of {limits.time_limit_s} s and was stopped.")
        if outcome.oom_killed:
            return Failure(reason or FailureReason.OUT_OF_MEMORY,
                           f"{who} ran out of memory (limit {limits.memory_mb} MB) and was killed.")
        if outcome.output_files_exceeded:
            return Failure(reason or FailureReason.OUTPUT_TOO_LARGE,
                           f"{who} wrote more than {outputs.MAX_OUTPUT_FILES} files and directories to /mnt/out.")
        if outcome.output_exceeded:
            return Failure(reason or FailureReason.OUTPUT_TOO_LARGE,
                           f"{who} wrote more than the output cap of {limits.output_max_mb} MB."
                           if not scoring else "The scoring program wrote more than 2 MB to /mnt/out.")
        if scoring and outcome.exit_code == SCORER_REJECTS_OUTPUT_EXIT_CODE:
            return Failure(FailureReason.BAD_OUTPUT,
                           "The scoring program rejected your output (it exited with code "
                           f"{SCORER_REJECTS_OUTPUT_EXIT_CODE}): check the output format the organizers ask for.")
        if outcome.exit_code != 0:
            return Failure(reason or FailureReason.NON_ZERO_EXIT,
                           f"{who} exited with code {outcome.exit_code}.")
        return None

    def _run_participant(self, image: images.ResolvedImage, input_dir: Path, work: Path,
                         predictions: Path) -> runner.RunOutcome:
        request, config, limits = self.request, self.config, self.request.limits
        out_dir = work / "out"
        out_dir.mkdir()
        self._give_to_sandbox(out_dir)
        runtime_present = False
        if limits.gpus > 0:
            runtime_present = gpu.gpu_runtime_present(self.docker_client().info())
        try:
            slot = gpu.gpu_slot(limits.gpus, config.gpus, config.slot_dir, runtime_present=runtime_present)
            gpu_ids = slot.__enter__()
        except gpu.GpuUnavailable as exc:
            raise Failure(FailureReason.GPU_UNAVAILABLE, str(exc)) from exc
        try:
            mounts = [sandbox.BindMount(str(input_dir), "/mnt/in", True),
                      sandbox.BindMount(str(out_dir), "/mnt/out", False)]
            kwargs = sandbox.container_kwargs(limits, image=image.image_id, mounts=mounts, config=config,
                                              submission_id=request.submission_id, role="participant",
                                              gpu_ids=gpu_ids)
            with self.timed("participant_run"):
                outcome = runner.run_container(
                    self.docker_client(), kwargs, time_limit_s=limits.time_limit_s,
                    log_max_bytes=limits.log_max_kb * 1024, heartbeat=self.heartbeat(Status.RUNNING, "Running"),
                    heartbeat_s=config.heartbeat_s, output_dir=out_dir,
                    output_max_bytes=limits.output_max_mb * (1 << 20), output_max_entries=outputs.MAX_OUTPUT_FILES)
        finally:
            slot.__exit__(None, None, None)
        self.participant = outcome
        self._post_log("participant", outcome)
        if outcome.cancelled:
            raise SubmissionGone("cancelled by the site while running")
        problem = self._classify(outcome, scoring=False)
        if problem:
            raise problem
        try:
            collected = outputs.collect_output(out_dir, predictions, max_bytes=limits.output_max_mb * (1 << 20))
        except outputs.OutputProblem as exc:
            raise Failure(exc.reason, str(exc)) from exc
        except OSError as exc:
            raise Failure(FailureReason.BAD_OUTPUT, f"The output could not be collected: {exc}") from exc
        logger.info("submission %s: %s", request.submission_id, collected.summary())
        return outcome

    def _fetch_predictions(self, work: Path, predictions: Path) -> None:
        """Results-upload submission: download and safely extract the predictions archive."""
        request = self.request
        archive = work / "predictions.archive"
        for attempt in (1, 2):
            try:
                actual = self.fetcher(request.predictions_url, archive)
            except SubmissionGone:
                raise
            except SiteError as exc:
                raise Failure(FailureReason.DATA_ERROR, f"The predictions could not be downloaded: {exc}") from exc
            if actual == request.predictions_sha256:
                break
            archive.unlink(missing_ok=True)
            logger.warning("predictions sha256 mismatch (attempt %d)", attempt)
        else:
            raise Failure(FailureReason.DATA_ERROR, "The predictions archive's sha256 does not match (fetched twice).")
        predictions.mkdir(mode=0o755)
        try:
            archives.extract(archive, predictions, max_bytes=request.limits.output_max_mb * (1 << 20),
                             max_files=outputs.MAX_OUTPUT_FILES)
        except archives.UnsafeArchive as exc:
            raise Failure(FailureReason.BAD_OUTPUT, f"The predictions archive was refused: {exc}") from exc
        finally:
            archive.unlink(missing_ok=True)
