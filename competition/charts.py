"""The leaderboard's score-over-time chart, computed server-side and drawn as inline SVG (no CDN, no JS).

For each of the phase's top participants (the leaderboard's first :data:`TOP` rows), the line is
their best ranking score so far (by the ranking column's direction) against the time each
finished submission finished, as a step line that runs on to the chart's right edge. The
template ``competition/_score_chart.html`` draws what :func:`score_chart` returns; every text
in it is escaped by the template engine.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from compute_worker.protocol import Status

from .leaderboard import Leaderboard
from .models import LeaderboardColumn, Submission

TOP = 5
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP_MARGIN, BOTTOM = 64, 150, 12, 34
COLORS = ("#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1")


@dataclass
class Series:
    """One participant's line: the SVG path, its points (with tooltips) and the legend entry."""

    participant: str
    color: str
    path: str = ""
    points: list[dict] = field(default_factory=list)
    best: str = ""
    legend_y: float = 0.0


@dataclass
class Chart:
    """Everything the template needs: size, plot area, ticks and series."""

    width: int
    height: int
    left: int
    right_edge: int
    top: int
    bottom_edge: int
    label: str
    x_ticks: list[dict]
    y_ticks: list[dict]
    series: list[Series]


_MAX = sys.float_info.max
#: The y axis never has more ticks than this, whatever the scores.
MAX_Y_TICKS = 8


def _nice_step(span: float, count: int = 4) -> float:
    """A 1, 2, 2.5 or 5 times a power of ten close to ``span / count`` (``span`` finite and > 0)."""
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _value_range(values: list[float]) -> tuple[float, float]:
    """The y range to draw: the values' range, padded when they are (nearly) all equal; always finite."""
    low, high = min(values), max(values)
    if high - low <= abs(high) * 1e-12:
        pad = abs(high) * 0.1 or 0.5
        low, high = max(low - pad, -_MAX), min(high + pad, _MAX)
    return low, high


def _fraction(value: float, low: float, high: float) -> float:
    """Where ``value`` lies between ``low`` and ``high`` (0..1); halves keep the difference finite."""
    return (value / 2 - low / 2) / (high / 2 - low / 2)


def _y_axis(values: list[float]) -> tuple[float, float, list[float]]:
    """``(low, high, ticks)``: rounded to a nice step when floats allow it, else evenly spaced.

    No loop depends on the values: at most :data:`MAX_Y_TICKS` ticks, for any finite scores
    (a step below the float spacing at the values' magnitude, or a span beyond the largest
    float, falls back to evenly spaced ticks between the exact range).
    """
    low, high = _value_range(values)
    span = high - low
    if math.isfinite(span):
        step = _nice_step(span)
        nice_low, nice_high = math.floor(low / step) * step, math.ceil(high / step) * step
        ratio = (nice_high - nice_low) / step
        if math.isfinite(ratio) and 1 <= round(ratio) < MAX_Y_TICKS and nice_low + step != nice_low:
            return nice_low, nice_high, [nice_low + i * step for i in range(round(ratio) + 1)]
    count = 4
    return low, high, [low * (1 - i / count) + high * (i / count) for i in range(count + 1)]


def _time_of(submission: Submission) -> datetime:
    return submission.finished_at or submission.created


def _best_so_far(board: Leaderboard, ranking: LeaderboardColumn, leaders: list[int]
                 ) -> dict[int, list[tuple[datetime, float]]]:
    """Per leader, the finished submissions that improved their best ranking score, in time order."""
    lower_is_better = ranking.sorting == LeaderboardColumn.ASCENDING
    history = (
        Submission.objects.filter(
            phase=board.phase, participant_id__in=leaders, status=Status.FINISHED.value, rank_score__isnull=False
        )
        .only("participant_id", "rank_score", "finished_at", "created")
        .order_by("finished_at", "created", "pk")
    )
    steps: dict[int, list[tuple[datetime, float]]] = {pk: [] for pk in leaders}
    for submission in history:
        line = steps[submission.participant_id]
        value = float(submission.rank_score)
        if not math.isfinite(value):
            continue
        if line:
            best = line[-1][1]
            if (value >= best) if lower_is_better else (value <= best):
                continue  # not an improvement: the best so far stays
        line.append((_time_of(submission), value))
    return steps


def _time_range(times: list[datetime]) -> tuple[datetime, datetime]:
    start, end = min(times), max(times)
    if end - start < timedelta(minutes=1):
        start, end = start - timedelta(seconds=30), end + timedelta(seconds=30)
    return start, end


def _time_format(start: datetime, end: datetime) -> str:
    span_s = (end - start).total_seconds()
    if span_s < 3600:
        return "%H:%M:%S"
    if span_s < 2 * 86400:
        return "%H:%M" if start.date() == end.date() else "%m-%d %H:%M"
    return "%Y-%m-%d"


@dataclass(frozen=True)
class _Plot:
    """Maps times and values to SVG coordinates."""

    start: datetime
    span_s: float
    low: float
    high: float

    def x(self, moment: datetime) -> float:
        return round(LEFT + (WIDTH - RIGHT - LEFT) * (moment - self.start).total_seconds() / self.span_s, 1)

    def y(self, value: float) -> float:
        bottom = HEIGHT - BOTTOM
        return round(bottom - (bottom - TOP_MARGIN) * _fraction(value, self.low, self.high), 1)


def _series(line: list[tuple[datetime, float]], name: str, color: str, plot: _Plot, precision: int,
            position: int) -> Series:
    """One participant's step line, its points with tooltips and its legend entry."""
    entry = Series(participant=name, color=color)
    commands = []
    for index, (moment, value) in enumerate(line):
        if index:  # a step: along at the old best, then up or down to the new one
            commands += [f"H{plot.x(moment)}", f"V{plot.y(value)}"]
        else:
            commands.append(f"M{plot.x(moment)},{plot.y(value)}")
        entry.points.append({
            "x": plot.x(moment), "y": plot.y(value),
            "title": f"{name}: {value:.{precision}f} at {moment.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        })
    commands.append(f"H{WIDTH - RIGHT}")
    entry.path = " ".join(commands)
    entry.best = f"{line[-1][1]:.{precision}f}"
    entry.legend_y = TOP_MARGIN + 8 + 20 * position
    return entry


def score_chart(board: Leaderboard) -> Chart | None:
    """The chart of ``board``'s top participants, or ``None`` when there is nothing to draw."""
    ranking = next((c for c in board.columns if c.ranks), None)
    leaders = [s.participant_id for s in board.rows[:TOP]]
    if ranking is None or not leaders:
        return None
    steps = _best_so_far(board, ranking, leaders)
    times = [t for line in steps.values() for t, _ in line]
    if not times:
        return None
    start, end = _time_range(times)
    low, high, ticks = _y_axis([v for line in steps.values() for _, v in line])
    plot = _Plot(start=start, span_s=(end - start).total_seconds(), low=low, high=high)
    precision = ranking.precision
    y_ticks = [{"y": plot.y(tick), "label": f"{tick:.{min(precision, 6)}f}"} for tick in ticks]
    time_format = _time_format(start, end)
    moments = [start + (end - start) * i / 4 for i in range(5)]
    x_ticks = [{"x": plot.x(moment), "label": moment.strftime(time_format)} for moment in moments]
    names = {s.participant_id: s.participant.user.get_username() for s in board.rows[:TOP]}
    series = []
    for index, pk in enumerate(leaders):
        if steps[pk]:
            series.append(_series(steps[pk], names[pk], COLORS[index % len(COLORS)], plot, precision, len(series)))
    return Chart(
        width=WIDTH, height=HEIGHT, left=LEFT, right_edge=WIDTH - RIGHT, top=TOP_MARGIN,
        bottom_edge=HEIGHT - BOTTOM, label=ranking.label, x_ticks=x_ticks, y_ticks=y_ticks, series=series,
    )
