"""The leaderboard's score-over-time chart, computed server-side and drawn as inline SVG (no CDN, no JS).

For each of the phase's top owners (the leaderboard's first :data:`TOP` rows: teams, or
participants alone), the line is their best ranking score so far (by the ranking column's
direction) against the time each finished submission finished, as a step line that runs on to
the chart's right edge. It is drawn only when the leaderboard counts each owner's best
submission: under the other rules a best-so-far line would show scores that do not count, and
it is never drawn from a board its viewer may not see (no rows, no chart). The
template ``competition/_score_chart.html`` draws what :func:`score_chart` returns; every text
in it is escaped by the template engine.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from compute_worker.protocol import Status

from .leaderboard import Leaderboard, Row, owner_filter
from .models import LeaderboardColumn, Selection, Submission
from .numbers import format_number

TOP = 5
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP_MARGIN, BOTTOM = 64, 150, 12, 34
#: The y labels' monospace digits are about this wide (11 px font); the left margin grows to fit them.
LABEL_CHAR_PX = 7
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


def _nice_step(span: float, count: int = 4) -> float | None:
    """A 1, 2, 2.5 or 5 times a power of ten close to ``span / count``, or ``None`` below normal floats."""
    raw = span / max(count, 1)
    if not raw >= sys.float_info.min:  # zero or subnormal: no power of ten to round to
        return None
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _value_range(values: list[float]) -> tuple[float, float]:
    """The y range to draw: the values' range, padded when floats cannot tell them apart; always finite.

    Halves keep every difference finite (``MAX - (-MAX)`` is not); a half-span below the
    smallest normal float could not be divided by, so such values count as equal too.
    """
    low, high = min(values), max(values)
    largest = max(abs(low), abs(high))
    half_span = high / 2 - low / 2
    if half_span <= largest * 5e-13 or half_span < sys.float_info.min:
        pad = largest * 0.1
        if pad / 2 < sys.float_info.min:
            pad = 0.5
        low, high = max(low - pad, -_MAX), min(high + pad, _MAX)
    return low, high


def _fraction(value: float, low: float, high: float) -> float:
    """Where ``value`` lies between ``low`` and ``high`` (0..1); halves keep the difference finite."""
    return (value / 2 - low / 2) / (high / 2 - low / 2)


def _y_axis(values: list[float]) -> tuple[float, float, list[float]]:
    """``(low, high, ticks)``: rounded to a nice step when floats allow it, else evenly spaced.

    No loop depends on the values: at most :data:`MAX_Y_TICKS` ticks, for any finite scores
    (a step below the float spacing at the values' magnitude, or a span beyond the largest
    float, falls back to evenly spaced ticks between the exact range). Nice ticks are integer
    multiples of the step, so zero is exactly zero.
    """
    low, high = _value_range(values)
    span = high - low
    step = _nice_step(span) if math.isfinite(span) else None
    if step is not None:
        first, last = math.floor(low / step), math.ceil(high / step)
        nice_low, nice_high = first * step, last * step
        if (math.isfinite(nice_low) and math.isfinite(nice_high) and 1 <= last - first < MAX_Y_TICKS
                and nice_low + step != nice_low):
            return nice_low, nice_high, [(first + i) * step for i in range(last - first + 1)]
    count = 4
    return low, high, [low * (1 - i / count) + high * (i / count) for i in range(count + 1)]


def _tick_labels(ticks: list[float], precision: int) -> list[str]:
    """Each tick's text in the column's format; a tick that reads like the one below it gets none."""
    labels, previous = [], None
    for tick in ticks:
        text = format_number(tick, precision)
        labels.append("" if text == previous else text)
        previous = text
    return labels


def _time_of(submission: Submission) -> datetime:
    return submission.finished_at or submission.created


def _best_so_far(board: Leaderboard, ranking: LeaderboardColumn, leaders: list[Row]
                 ) -> dict[int, list[tuple[datetime, float]]]:
    """Per leading owner, the finished submissions that improved its best ranking score, in time order."""
    lower_is_better = ranking.sorting == LeaderboardColumn.ASCENDING
    history = (
        Submission.objects.filter(owner_filter(leaders), phase=board.phase, status=Status.FINISHED.value,
                                  rank_score__isnull=False)
        .only("owner", "rank_score", "finished_at", "created")
        .order_by("finished_at", "created", "pk")
    )
    steps: dict[int, list[tuple[datetime, float]]] = {row.owner: [] for row in leaders}
    for submission in history:
        line = steps[submission.owner]
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
    left: int = LEFT

    def x(self, moment: datetime) -> float:
        return round(self.left + (WIDTH - RIGHT - self.left) * (moment - self.start).total_seconds() / self.span_s, 1)

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
            "title": f"{name}: {format_number(value, precision)} at {moment.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        })
    commands.append(f"H{WIDTH - RIGHT}")
    entry.path = " ".join(commands)
    entry.best = format_number(line[-1][1], precision)
    entry.legend_y = TOP_MARGIN + 8 + 20 * position
    return entry


def score_chart(board: Leaderboard) -> Chart | None:
    """The chart of ``board``'s top owners, or ``None`` when there is nothing to draw (or the rule is not the best)."""
    ranking = next((c for c in board.columns if c.ranks), None)
    leaders = board.rows[:TOP]
    if ranking is None or not leaders or board.phase.selection_rule != Selection.BEST:
        return None
    steps = _best_so_far(board, ranking, leaders)
    lines = [(row.name, steps[row.owner]) for row in leaders]
    return draw_chart(lines, ranking.label, ranking.precision)


def draw_chart(lines: list[tuple[str, list[tuple[datetime, float]]]], label: str, precision: int) -> Chart | None:
    """The chart of ``(participant, best-so-far steps)`` lines, best first; ``None`` when all are empty.

    Pure: any finite values, of any magnitude, give at most :data:`MAX_Y_TICKS` ticks and
    coordinates inside the plot, written with the column's ``precision`` (:func:`format_number`).
    """
    times = [t for _, line in lines for t, _ in line]
    if not times:
        return None
    start, end = _time_range(times)
    low, high, ticks = _y_axis([v for _, line in lines for _, v in line])
    labels = _tick_labels(ticks, precision)
    left = max(LEFT, LABEL_CHAR_PX * max(map(len, labels)) + 10)
    plot = _Plot(start=start, span_s=(end - start).total_seconds(), low=low, high=high, left=left)
    y_ticks = [{"y": plot.y(tick), "label": text} for tick, text in zip(ticks, labels, strict=True)]
    time_format = _time_format(start, end)
    moments = [start + (end - start) * i / 4 for i in range(5)]
    x_ticks = [{"x": plot.x(moment), "label": moment.strftime(time_format)} for moment in moments]
    series = []
    for index, (name, line) in enumerate(lines):
        if line:
            series.append(_series(line, name, COLORS[index % len(COLORS)], plot, precision, len(series)))
    return Chart(
        width=WIDTH, height=HEIGHT, left=left, right_edge=WIDTH - RIGHT, top=TOP_MARGIN,
        bottom_edge=HEIGHT - BOTTOM, label=label, x_ticks=x_ticks, y_ticks=y_ticks, series=series,
    )
