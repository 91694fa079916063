"""The leaderboard's score-over-time chart, computed server-side and drawn as inline SVG (no CDN, no JS).

For each of the phase's top participants (the leaderboard's first :data:`TOP` rows), the line is
their best ranking score so far (by the ranking column's direction) against the time each
finished submission finished, as a step line that runs on to the chart's right edge. The
template ``competition/_score_chart.html`` draws what :func:`score_chart` returns; every text
in it is escaped by the template engine.
"""

from __future__ import annotations

import math
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


def _nice_step(span: float, count: int = 4) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _time_of(submission: Submission) -> datetime:
    return submission.finished_at or submission.created


def score_chart(board: Leaderboard) -> Chart | None:
    """The chart of ``board``'s top participants, or ``None`` when there is nothing to draw."""
    ranking = next((c for c in board.columns if c.ranks), None)
    leaders = [s.participant_id for s in board.rows[:TOP]]
    if ranking is None or not leaders:
        return None
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

    times = [t for line in steps.values() for t, _ in line]
    values = [v for line in steps.values() for _, v in line]
    if not times:
        return None
    start, end = min(times), max(times)
    if end - start < timedelta(minutes=1):
        start, end = start - timedelta(seconds=30), end + timedelta(seconds=30)
    low, high = min(values), max(values)
    if high - low < 1e-12:
        pad = abs(high) * 0.1 or 0.5
        low, high = low - pad, high + pad
    step = _nice_step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step

    right_edge, bottom_edge = WIDTH - RIGHT, HEIGHT - BOTTOM
    span_s = (end - start).total_seconds()

    def x(moment: datetime) -> float:
        return round(LEFT + (right_edge - LEFT) * (moment - start).total_seconds() / span_s, 1)

    def y(value: float) -> float:
        return round(bottom_edge - (bottom_edge - TOP_MARGIN) * (value - low) / (high - low), 1)

    precision = ranking.precision
    y_ticks = []
    tick = low
    while tick <= high + step / 2:
        y_ticks.append({"y": y(tick), "label": f"{tick:.{min(precision, 6)}f}"})
        tick += step
    if span_s < 3600:
        time_format = "%H:%M:%S"
    elif span_s < 2 * 86400:
        time_format = "%H:%M" if start.date() == end.date() else "%m-%d %H:%M"
    else:
        time_format = "%Y-%m-%d"
    x_ticks = [
        {"x": x(start + timedelta(seconds=span_s * i / 4)),
         "label": (start + timedelta(seconds=span_s * i / 4)).strftime(time_format)}
        for i in range(5)
    ]

    names = {s.participant_id: s.participant.user.get_username() for s in board.rows[:TOP]}
    series = []
    for index, pk in enumerate(leaders):
        line = steps[pk]
        if not line:
            continue
        entry = Series(participant=names[pk], color=COLORS[index % len(COLORS)])
        commands = []
        for position, (moment, value) in enumerate(line):
            if position:  # a step: along at the old best, then up or down to the new one
                commands += [f"H{x(moment)}", f"V{y(value)}"]
            else:
                commands.append(f"M{x(moment)},{y(value)}")
            entry.points.append({
                "x": x(moment), "y": y(value),
                "title": f"{names[pk]}: {value:.{precision}f} at {moment.strftime('%Y-%m-%d %H:%M:%S')} UTC",
            })
        commands.append(f"H{right_edge}")
        entry.path = " ".join(commands)
        entry.best = f"{line[-1][1]:.{precision}f}"
        entry.legend_y = TOP_MARGIN + 8 + 20 * len(series)
        series.append(entry)
    return Chart(
        width=WIDTH, height=HEIGHT, left=LEFT, right_edge=right_edge, top=TOP_MARGIN, bottom_edge=bottom_edge,
        label=ranking.label, x_ticks=x_ticks, y_ticks=y_ticks, series=series,
    )
