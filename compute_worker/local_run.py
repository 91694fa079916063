"""An evaluation on this machine's Docker, without a site: what ``evalbox try`` runs.

:func:`try_image` runs the worker's own :class:`Evaluation` (the same sandbox, output checks,
failure reasons and scorer) on local folders and returns the :class:`ResultReport` the worker
would send; a :class:`Viewer` hears of the run as it goes (live log, progress, status).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import docker

from . import protocol, runner, trees
from .config import WorkerConfig
from .engine import Engine
from .evaluation import Evaluation
from .failure import Failure
from .followers import LiveRun
from .job_record import JobRecord
from .live_reports import LogChunker
from .protocol import ResultReport, Status

#: The submission id on the local containers' labels.
LOCAL_SUBMISSION = 1


class Viewer(Protocol):
    """Who watches a local run (the terminal)."""

    def status(self, status: Status, message: str) -> None:
        """The run entered ``status``."""

    def log(self, stream: str, text: str) -> None:
        """New output of ``stream`` (``participant`` or ``scoring``)."""

    def progress(self, stream: str, progress: float | None, message: str) -> None:
        """The program's progress changed."""


class _LocalListener:
    """The evaluation's listener that tells a :class:`Viewer` instead of a site."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.chunkers: dict[str, LogChunker] = {}

    def status(self, status: Status, message: str) -> None:
        self.viewer.status(status, message)

    def progress(self, status: Status, message: str) -> None:
        self.viewer.status(status, message)  # an image pull's progress: a status line of its own

    def settle(self) -> None:
        """Nothing to wait for: the viewer was told everything at once."""

    def watcher(self, status: Status, message: str, stream: str) -> runner.Watch:
        chunker = self.chunkers[stream] = LogChunker(stream)
        shown: list[tuple[float | None, str]] = [(None, "")]

        def watch(live: LiveRun) -> bool:
            self._show_log(chunker, live)
            progress, progress_message, _ = live.output.program.snapshot()
            if (progress, progress_message) != shown[0]:
                shown[0] = (progress, progress_message)
                self.viewer.progress(stream, progress, progress_message)
            return True
        return watch

    def _show_log(self, chunker: LogChunker, live: LiveRun) -> None:
        while (chunk := chunker.next_chunk(live.output.log)) is not None:
            self.viewer.log(chunk.stream, chunk.text)
            chunker.taken(chunk)

    def logs(self, stream: str, outcome: runner.RunOutcome) -> None:
        """The run ended: show what the live view had not shown yet (its last lines)."""
        chunker = self.chunkers.get(stream)
        if chunker is not None:
            rest = outcome.log.encode()[chunker.sent:] if not outcome.log_truncated else b""
            if rest:
                self.viewer.log(stream, rest.decode("utf-8", "replace"))


@dataclass(frozen=True)
class LocalRun:
    """What to try: the images, the folders and the limits."""

    image: str
    input_dir: Path
    limits: protocol.Limits
    reference_dir: Path | None = None
    scoring_image: str = ""
    output_dir: Path | None = None
    runtime: str = "runc"
    gpu_ids: Sequence[str] = ()


def _config(run: LocalRun, work: Path) -> WorkerConfig:
    return WorkerConfig(worker_id=f"evalbox-try-{uuid.uuid4().hex[:10]}", runtime=run.runtime, gpus=tuple(run.gpu_ids),
                        work_dir=str(work), data_cache_dir=str(work / "cache"), slot_dir=str(work / "slots"),
                        registry_guard=False)  # the participant's own machine: nothing of the platform's to reach


def try_image(run: LocalRun, viewer: Viewer, client: docker.DockerClient) -> tuple[ResultReport, JobRecord]:
    """Evaluate ``run`` as a worker would; return its result report and what the job learned."""
    record = JobRecord()
    with contextlib.ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix="evalbox-try-"))
        cleanup.callback(trees.remove_tree, work)
        config = _config(run, work)
        engine = Engine(config, run.limits, LOCAL_SUBMISSION, client=client)
        cleanup.callback(engine.remove_containers)
        evaluation = Evaluation(engine, config, run.limits, LOCAL_SUBMISSION, record, _LocalListener(viewer))
        fields = {"scores": {}}
        try:
            viewer.status(Status.RUNNING, f"Running {run.image}")
            predictions = work / "predictions"
            evaluation.predict(run.image, run.input_dir, work, predictions)
            if run.output_dir is not None:
                shutil.copytree(predictions, run.output_dir, dirs_exist_ok=True)
            if run.scoring_image:
                viewer.status(Status.SCORING, f"Scoring with {run.scoring_image}")
                reference = run.reference_dir or work / "empty-reference"
                reference.mkdir(exist_ok=True)
                fields["scores"], fields["detailed_results"] = evaluation.score(run.scoring_image, predictions,
                                                                                reference, work)
            status = Status.FINISHED
        except Failure as failure:
            status = Status.FAILED
            fields = {"failure_reason": failure.reason, "failure_message": failure.message}
        return ResultReport(status=status, **fields, **record.report_fields(1, config.worker_id)), record


def unreadable_entries(root: Path, limit: int = 5) -> list[str]:
    """Entries under ``root`` the sandbox user (any other user) could not read, at most ``limit``."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        needed = 0o005 if path.is_dir() else 0o004
        if not path.is_symlink() and mode & needed != needed:
            found.append(str(path))
            if len(found) >= limit:
                break
    return found

