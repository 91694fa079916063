"""What a job learned on the way: image, both runs and step timings, carried by every result report."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import protocol
from .runner import RunOutcome

#: A label of the participant's image is cut to these sizes, like the site bounds them: a label
#: may be megabytes long, and a result body the site refuses (413) would leave no result at all.
MAX_LABELS = 100
MAX_LABEL_KEY_CHARS = 200
MAX_LABEL_VALUE_CHARS = 1000


@dataclass
class JobRecord:
    """The facts of one job so far; :meth:`report_fields` puts them into a result, whatever the end."""

    image_digest: str = ""
    image_labels: dict[str, str] = field(default_factory=dict)
    participant: RunOutcome | None = None
    scoring: RunOutcome | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def keep_labels(self, labels: dict[str, str]) -> None:
        """Record the image's labels, bounded."""
        self.image_labels = {key[:MAX_LABEL_KEY_CHARS]: value[:MAX_LABEL_VALUE_CHARS]
                             for key, value in list(labels.items())[:MAX_LABELS]}

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the block's duration to ``timings[step]``."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] = round(self.timings.get(step, 0.0) + time.monotonic() - start, 4)

    def report_fields(self, attempt: int, worker: str) -> dict[str, Any]:
        """The :class:`protocol.ResultReport` fields that describe the image and the runs."""
        participant, scoring = self.participant, self.scoring
        return {
            "worker": worker,
            "scoring_exit_code": scoring.exit_code if scoring else None,
            "cpu_seconds": participant.cpu_seconds if participant else None,
            "metadata": participant.program.snapshot()[2] if participant else {},
            "resources": participant.resources if participant else {},
            "image_digest": self.image_digest,
            "image_labels": self.image_labels,
            "exit_code": participant.exit_code if participant else None,
            "duration_s": round(participant.duration_s, 3) if participant else None,
            "peak_memory_bytes": participant.peak_memory_bytes if participant else None,
            "participant_log": participant.log[: protocol.MAX_REPORT_LOG_CHARS] if participant else "",
            "scoring_log": scoring.log[: protocol.MAX_REPORT_LOG_CHARS] if scoring else "",
            "attempt": attempt,
        }
