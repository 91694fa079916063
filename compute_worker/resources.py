"""A running container's resources over time: CPU, memory, pids (and GPUs), as a bounded series.

:func:`sample_resources` reads Docker's stats stream (about one sample a second) into a
:class:`ResourceSeries` until told to stop. The series never holds more than
:data:`protocol.live.MAX_SERIES_POINTS` points: when it is full, pairs of points are merged and
later samples are gathered in buckets twice as long (the peak of memory, pids and GPU memory,
the mean of CPU and GPU use), so a long run keeps its whole shape and memory stays constant.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import docker.errors
import requests

from .gpu_metrics import GpuProbe
from .protocol.live import MAX_SERIES_POINTS

logger = logging.getLogger(__name__)

#: Columns whose bucket keeps the highest sample; the others keep the mean.
PEAK_COLUMNS = frozenset({"memory", "pids", "gpu_memory"})
#: The stats stream is opened only for runs longer than this: a quicker run would get no sample
#: anyway, and the stats request costs the engine CPU that quick submissions compete for.
STATS_DELAY_S = 1.0


@dataclass
class _Bucket:
    """Samples being gathered into one point."""

    t: float = 0.0
    count: int = 0
    values: dict[str, float] = field(default_factory=dict)

    def add(self, t: float, sample: dict[str, float]) -> None:
        if not self.count:
            self.t = t
        self.count += 1
        for name, value in sample.items():
            old = self.values.get(name)
            if old is None:
                self.values[name] = value
            elif name in PEAK_COLUMNS:
                self.values[name] = max(old, value)
            else:
                self.values[name] = old + (value - old) / self.count  # running mean


class ResourceSeries:
    """At most ``max_points`` points of ``t`` (seconds since the start) and one value per column."""

    def __init__(self, max_points: int = MAX_SERIES_POINTS) -> None:
        self.max_points = max(2, max_points)
        self.points: list[tuple[float, dict[str, float]]] = []
        self.stride = 1  # samples per point
        self._bucket = _Bucket()
        self.peak_memory = 0
        self.cpu_seconds: float | None = None
        self._lock = threading.Lock()

    def add(self, t: float, sample: dict[str, float]) -> None:
        """Add one sample taken ``t`` seconds after the start."""
        with self._lock:
            self._bucket.add(t, sample)
            if self._bucket.count >= self.stride:
                self.points.append((self._bucket.t, dict(self._bucket.values)))
                self._bucket = _Bucket()
            if len(self.points) > self.max_points:
                self._halve()

    def _halve(self) -> None:
        merged = []
        for index in range(0, len(self.points), 2):
            pair = _Bucket()
            for t, values in self.points[index:index + 2]:
                pair.add(t, values)
            merged.append((pair.t, pair.values))
        self.points = merged
        self.stride *= 2

    def to_json(self) -> dict[str, list[float]]:
        """``{"t": [...], column: [...]}``: the columns every point has (the contract's form)."""
        with self._lock:
            points = list(self.points)
            if self._bucket.count:
                points.append((self._bucket.t, dict(self._bucket.values)))
        if not points:
            return {}
        columns = _usual_columns(points)
        # Docker reports partial stats around a container's start and exit (pids without memory,
        # memory without pids): such a sample is left out rather than dropping a whole column.
        points = [(t, values) for t, values in points if columns <= values.keys()]
        series = {"t": [round(t, 2) for t, _ in points]}
        for name in sorted(columns):
            series[name] = [round(values[name], 3) for _, values in points]
        return series


def _usual_columns(points: list[tuple[float, dict[str, float]]]) -> set[str]:
    """The columns more than half of ``points`` have."""
    counts: dict[str, int] = {}
    for _, values in points:
        for name in values:
            counts[name] = counts.get(name, 0) + 1
    return {name for name, count in counts.items() if 2 * count > len(points)}


def _memory(stats: dict[str, Any]) -> tuple[float | None, int]:
    """``(memory in use without the page cache, peak)`` of one stats sample (cgroup v1 or v2)."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if not usage:
        return None, 0
    extra = memory.get("stats") or {}
    inactive = extra.get("total_inactive_file", extra.get("inactive_file", 0)) or 0
    return float(usage - inactive if inactive < usage else usage), int(memory.get("max_usage") or usage)


def _sample(stats: dict[str, Any], started: float, series: ResourceSeries, gpu: GpuProbe | None,
            previous: list[float]) -> None:
    """Add one stats sample to ``series``; ``previous`` holds the last ``(t, cpu seconds)``."""
    t = time.monotonic() - started
    sample: dict[str, float] = {}
    used, peak = _memory(stats)
    if used is not None:
        sample["memory"] = used
        series.peak_memory = max(series.peak_memory, peak)
    cpu_ns = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage")
    if cpu_ns:
        cpu_s = cpu_ns / 1e9
        last_t, last_cpu = previous or (0.0, 0.0)
        sample["cpu"] = max(0.0, (cpu_s - last_cpu) / max(t - last_t, 1e-3))
        previous[:] = [t, cpu_s]
        series.cpu_seconds = cpu_s
    pids = (stats.get("pids_stats") or {}).get("current")
    if pids is not None:
        sample["pids"] = float(pids)
    if gpu is not None:
        sample.update(gpu.sample())
    if sample:
        series.add(t, sample)


def sample_resources(container: Any, series: ResourceSeries, stop: threading.Event, *, started: float,
                     gpu: GpuProbe | None = None) -> None:
    """Sample the container's stats stream into ``series`` until ``stop`` is set or the stream ends.

    The stream never ends by itself for a stopped container: the loop ends on ``stop`` or on a
    sample without data.
    """
    if stop.wait(STATS_DELAY_S):
        return
    previous: list[float] = []
    try:
        for stats in container.stats(stream=True, decode=True):
            if stop.is_set() or (not stats.get("pids_stats") and not stats.get("memory_stats")):
                break
            _sample(stats, started, series, gpu, previous)
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError) as exc:
        logger.debug("stats stream ended: %s", exc)
