"""The threads that follow a started container: its output and its resources.

:class:`Followers` starts them and exposes what they saw so far as a :class:`LiveRun` (the
capped log, the program's progress and metadata, the resource series), which the runner's
watcher reads while the container runs (live log chunks, heartbeats).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .container_logs import final_output, follow_output
from .gpu_metrics import open_probe
from .program_output import ProgramOutput
from .resources import ResourceSeries, sample_resources

#: After the container stopped, its log stream is waited for while it still reads, at most this long...
LOG_CATCH_UP_S = 120.0
#: ...and given up once it read nothing for this long.
LOG_STALL_S = 5.0


@dataclass
class LiveRun:
    """What a running container showed so far (read by the watcher while it runs)."""

    output: ProgramOutput
    resources: ResourceSeries
    elapsed_s: float = 0.0


class Followers:
    """The log and stats threads of one container."""

    def __init__(self, container: Any, log_max_bytes: int, gpu_ids: Sequence[str] = ()) -> None:
        self.container = container
        self.log_max_bytes = log_max_bytes
        self.started = time.monotonic()
        self.live = LiveRun(output=ProgramOutput(log_max_bytes), resources=ResourceSeries())
        self._stop_stats = threading.Event()
        self._gpu = open_probe(gpu_ids)
        self._log_thread = threading.Thread(target=follow_output, args=(container, self.live.output), daemon=True)
        self._log_thread.start()
        self._stats_thread = threading.Thread(
            target=sample_resources, args=(container, self.live.resources, self._stop_stats),
            kwargs={"started": self.started, "gpu": self._gpu}, daemon=True)
        self._stats_thread.start()

    def finish(self) -> None:
        """The container stopped: stop sampling, let the log stream end, complete the output."""
        self._stop_sampling()
        self._wait_for_log_stream()
        self.live.output = final_output(self.container, self.live.output, self.log_max_bytes)

    def _wait_for_log_stream(self) -> None:
        """Let the log stream catch up with a flood the program left (reading lags behind writing).

        It is waited for as long as it makes progress, within :data:`LOG_CATCH_UP_S`; a stream
        stuck for :data:`LOG_STALL_S` is given up (the fresh read completes the end).
        """
        deadline = time.monotonic() + LOG_CATCH_UP_S
        seen = -1
        while self._log_thread.is_alive() and time.monotonic() < deadline:
            if self.live.output.raw_total == seen:
                return
            seen = self.live.output.raw_total
            self._log_thread.join(timeout=LOG_STALL_S)

    def _stop_sampling(self) -> None:
        self._stop_stats.set()
        if self._gpu is not None:
            self._stats_thread.join(timeout=5)  # NVML is shut down only once nothing samples
            self._gpu.close()
            self._gpu = None

    def record(self, outcome: Any) -> None:
        """Put what was followed into ``outcome`` (a :class:`runner.RunOutcome`), and stop sampling."""
        self._stop_sampling()
        series = self.live.resources
        outcome.peak_memory_bytes = series.peak_memory or None
        outcome.cpu_seconds = round(series.cpu_seconds, 3) if series.cpu_seconds is not None else None
        outcome.resources = series.to_json()
        outcome.program = self.live.output.program
        outcome.log = self.live.output.log.text()
        outcome.log_truncated = self.live.output.log.truncated
