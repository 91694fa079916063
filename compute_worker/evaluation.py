"""The evaluation itself, wherever its data comes from and whoever hears of it.

:class:`Evaluation` runs a participant's image on an input folder in the sandbox, collects its
output safely, then runs the scoring image on that output and the reference folder and reads
``scores.json``; every problem is raised as a :class:`Failure` (most of them from
:func:`classify_run`). The worker's :class:`~compute_worker.job.Job` feeds it the site's data and
reports to the site; ``evalbox try`` feeds it local folders and prints what it hears, so both say
the same thing of the same image.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import outputs, protocol, runner, sandbox
from .classification import classify_run
from .config import WorkerConfig
from .engine import Engine
from .failure import Failure
from .job_record import JobRecord
from .protocol import FailureReason, Status
from .sandbox import BindMount
from .site_client import SubmissionGone

logger = logging.getLogger(__name__)


class Listener(Protocol):
    """Who hears of an evaluation: the site (the worker's reporter) or the terminal (``evalbox try``)."""

    def status(self, status: Status, message: str) -> None:
        """The evaluation entered ``status`` (SCORING)."""

    def settle(self) -> None:
        """What was told so far must have been taken (before the participant's start; during the scorer's)."""

    def watcher(self, status: Status, message: str, stream: str) -> runner.Watch:
        """The watch callback of the run of ``stream`` (``participant`` or ``scoring``)."""

    def logs(self, stream: str, outcome: runner.RunOutcome) -> None:
        """The whole log of a finished run."""

    def progress(self, status: Status, message: str) -> None:
        """A long step's progress (an image pull's) while in ``status``."""


@dataclass(frozen=True)
class _Stage:
    """How a sandboxed run of one role is timed, reported and told apart when the site cancels it."""

    timing: str
    status: Status
    message: str
    cancelled: str
    #: Whether the container waits for the site to take the reports before it starts (else it starts
    #: meanwhile, and a refusal stops it). The participant's code never starts for a submission the
    #: site ended; the organizer's scorer does not wait, which takes the reports off the critical path.
    settled_first: bool


_STAGES = {
    "participant": _Stage("participant_run", Status.RUNNING, "Running", "cancelled by the site while running",
                          settled_first=True),
    "scoring": _Stage("scoring", Status.SCORING, "Scoring", "cancelled by the site during scoring",
                      settled_first=False),
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


class Evaluation:
    """The participant's run and the scoring of one submission (see the module's docstring)."""

    def __init__(self, engine: Engine, config: WorkerConfig, limits: protocol.Limits, submission_id: int,
                 record: JobRecord, listener: Listener) -> None:
        self.engine, self.config, self.limits = engine, config, limits
        self.submission_id, self.record, self.listener = submission_id, record, listener

    def predict(self, image_reference: str, input_dir: Path, work: Path, predictions: Path,
                token: protocol.PullToken | None = None) -> outputs.CollectedOutput:
        """Run the participant's image on ``input_dir`` and collect its output into ``predictions``.

        ``token`` is the site's pull token when the image is in the platform registry.
        """
        limits = self.limits
        with self.record.timed("image_inspect"):
            image = self.engine.resolve(image_reference, participant=True, token=token,
                                        progress=lambda message: self.listener.progress(Status.RUNNING, message))
            self.engine.reap_previous()
        self.record.image_digest = image.digest
        self.record.keep_labels(image.labels)
        out_dir = sandbox_directory(work / "out", self.config.sandbox_user)
        mounts = [BindMount(str(input_dir), "/mnt/in", True), BindMount(str(out_dir), "/mnt/out", False)]
        with contextlib.ExitStack() as slot:
            gpu_ids = self.engine.hold_gpus(slot)
            kwargs = sandbox.container_kwargs(limits, image=image.image_id, mounts=mounts, config=self.config,
                                              submission_id=self.submission_id, role="participant",
                                              gpu_ids=gpu_ids)
            cap = runner.OutputCap(out_dir, limits.output_max_mb * (1 << 20), outputs.MAX_OUTPUT_FILES)
            self.record.participant = self._run("participant", kwargs, cap, tuple(gpu_ids))
        self._judge("participant", self.record.participant)
        try:
            collected = outputs.collect_output(out_dir, predictions, max_bytes=limits.output_max_mb * (1 << 20))
        except outputs.OutputProblem as exc:
            raise Failure(exc.reason, str(exc)) from exc
        except OSError as exc:
            raise Failure(FailureReason.BAD_OUTPUT, f"The output could not be collected: {exc}") from exc
        logger.info("submission %s: %s", self.submission_id, collected.summary())
        return collected

    def score(self, scoring_reference: str, predictions: Path, reference_dir: Path, work: Path
              ) -> tuple[dict[str, float], str]:
        """Run the scoring image on the predictions and the reference data; its scores and detailed results."""
        with self.record.timed("image_inspect"):
            scoring_image = self.engine.resolve(scoring_reference, participant=False,
                                                progress=lambda message: self.listener.progress(Status.SCORING,
                                                                                                message))
        scores_dir = sandbox_directory(work / "scores", self.config.sandbox_user)
        mounts = [BindMount(str(predictions), "/mnt/predictions", True),
                  BindMount(str(reference_dir), "/mnt/reference", True),
                  BindMount(str(scores_dir), "/mnt/out", False)]
        kwargs = sandbox.container_kwargs(self.limits, image=scoring_image.image_id, mounts=mounts,
                                          config=self.config, submission_id=self.submission_id, role="scoring")
        cap = runner.OutputCap(scores_dir, outputs.MAX_SCORER_OUTPUT_BYTES, outputs.MAX_OUTPUT_FILES)
        self.record.scoring = self._run("scoring", kwargs, cap)
        self._judge("scoring", self.record.scoring)
        try:
            return outputs.read_scores(scores_dir), outputs.read_detailed_results(scores_dir)
        except outputs.OutputProblem as exc:
            raise Failure(exc.reason, str(exc)) from exc

    def _run(self, role: str, kwargs: dict, cap: runner.OutputCap, gpu_ids: tuple[str, ...] = ()
             ) -> runner.RunOutcome:
        stage = _STAGES[role]
        settle = {"before_start" if stage.settled_first else "after_start": self.listener.settle}
        with self.record.timed(stage.timing):
            return self.engine.run(kwargs, watch=self.listener.watcher(stage.status, stage.message, role), cap=cap,
                                   gpu_ids=gpu_ids, **settle)

    def _judge(self, role: str, outcome: runner.RunOutcome) -> None:
        """Hand over the run's log; stop if the site cancelled it, fail as :func:`classify_run` says."""
        self.listener.logs(role, outcome)
        if outcome.cancelled:
            raise SubmissionGone(_STAGES[role].cancelled)
        failure = classify_run(outcome, limits=self.limits, runtime=self.config.runtime, scoring=role == "scoring")
        if failure:
            raise failure
