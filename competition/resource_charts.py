"""A run's resource series as small server-side SVG charts (no CDN, no JavaScript), one per column.

:func:`resource_charts` turns the series a worker reported (``Submission.resources``, the
contract's :data:`~compute_worker.protocol.live.RESOURCE_COLUMNS`) into :class:`ResourceChart`
objects that ``competition/_resource_chart.html`` draws: the line, the phase's limit when it
has one (memory, CPUs, pids), nice ticks (the leaderboard chart's axis rule) and the last and
highest values. Every text is escaped by the template engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .charts import _y_axis as nice_axis
from .models import Phase

WIDTH, HEIGHT = 340, 150
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 10, 26
MB = 1 << 20


@dataclass(frozen=True)
class _Column:
    key: str
    title: str
    unit: str
    scale: float = 1.0
    color: str = "#0d6efd"


COLUMNS = (
    _Column("memory", "Memory", "MB", MB, "#d63384"),
    _Column("cpu", "CPU", "cores", 1.0, "#0d6efd"),
    _Column("pids", "Processes", "pids", 1.0, "#198754"),
    _Column("gpu_memory", "GPU memory", "MB", MB, "#fd7e14"),
    _Column("gpu_util", "GPU utilization", "%", 1.0, "#6f42c1"),
)


@dataclass
class ResourceChart:
    """One chart: its frame, ticks, line, limit line and the figures under it."""

    key: str
    title: str
    unit: str
    color: str
    width: int
    height: int
    left: int
    right_edge: int
    top: int
    bottom_edge: int
    path: str
    y_ticks: list[dict]
    x_ticks: list[dict]
    limit_y: float | None
    limit_label: str
    last: str
    peak: str


def _number(value: float) -> str:
    """A short label: integers without decimals, small values with two significant digits."""
    if value == 0 or abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}"


def _limits(phase: Phase) -> dict[str, float]:
    return {"memory": phase.memory_mb, "cpu": phase.cpus, "pids": phase.pids}


def _chart(column: _Column, times: list[float], values: list[float], limit: float | None) -> ResourceChart:
    low, high, ticks = nice_axis([0.0, max([*values, limit or 0.0, 1e-9])])
    minutes = times[-1] > 180
    per = 60.0 if minutes else 1.0
    t_low, t_high, t_ticks = nice_axis([0.0, max(times[-1] / per, 1.0)])
    plot_w, plot_h = WIDTH - RIGHT - LEFT, HEIGHT - BOTTOM - TOP

    def x(t: float) -> float:
        return round(LEFT + plot_w * (t / per - t_low) / (t_high - t_low), 1)

    def y(v: float) -> float:
        return round(HEIGHT - BOTTOM - plot_h * (v - low) / (high - low), 1)

    path = "M" + " L".join(f"{x(t)},{y(v)}" for t, v in zip(times, values, strict=True))
    unit = "min" if minutes else "s"
    return ResourceChart(
        key=column.key, title=column.title, unit=column.unit, color=column.color, width=WIDTH, height=HEIGHT,
        left=LEFT, right_edge=WIDTH - RIGHT, top=TOP, bottom_edge=HEIGHT - BOTTOM, path=path,
        y_ticks=[{"y": y(tick), "label": _number(tick)} for tick in ticks],
        x_ticks=[{"x": x(tick * per), "label": f"{_number(tick)} {unit}"} for tick in t_ticks],
        limit_y=y(limit) if limit else None, limit_label=f"limit {_number(limit)} {column.unit}" if limit else "",
        last=f"{_number(values[-1])} {column.unit}", peak=f"{_number(max(values))} {column.unit}",
    )


def resource_charts(resources: Any, phase: Phase) -> list[ResourceChart]:
    """The charts of a stored series (``[]`` when there is none or it is malformed)."""
    if not isinstance(resources, dict) or not isinstance(resources.get("t"), list) or not resources["t"]:
        return []
    times = resources["t"]
    limits = _limits(phase)
    charts = []
    for column in COLUMNS:
        raw = resources.get(column.key)
        if not isinstance(raw, list) or len(raw) != len(times):
            continue
        values = [float(v) / column.scale for v in raw]
        if not all(map(math.isfinite, [*values, *times])):
            continue
        charts.append(_chart(column, [float(t) for t in times], values, limits.get(column.key)))
    return charts
