"""One number rendering, bounded for any finite score: properties of the formatter and the chart.

Hypothesis draws any finite floats (huge, tiny, subnormal, negative, equal, mixed) and checks
that :func:`competition.numbers.format_number` stays short and faithful, and that the chart
(:func:`competition.charts.draw_chart`) keeps a bounded number of ticks with every coordinate
inside the plot, quickly (each example has a deadline).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from competition import charts
from competition.numbers import MAX_LENGTH, SCIENTIFIC_FROM, format_number

finite = st.floats(allow_nan=False, allow_infinity=False)
precisions = st.integers(min_value=0, max_value=12)
START = datetime(2026, 1, 1, tzinfo=UTC)


@given(finite, precisions)
@example(1.7e308, 4)
@example(-1.7976931348623157e308, 12)
@example(1e-300, 3)
@example(5e-324, 0)
@example(-0.0, 3)
@settings(deadline=200)
def test_a_formatted_score_is_short_and_faithful(value: float, precision: int) -> None:
    text = format_number(value, precision)
    assert 0 < len(text) <= MAX_LENGTH
    assert not re.search(r"\d{17}", text)  # never hundreds of digits
    assert not re.fullmatch(r"-0(\.0*)?", text)  # no negative zero
    written, exact = Decimal(text), Decimal(value)  # Decimal: "2e+308" is beyond the floats
    if value == 0:
        assert written == 0
    else:
        assert written != 0  # a non-zero score never reads as zero
        assert (written > 0) == (value > 0)
    if "e" in text:
        assert abs(value) >= SCIENTIFIC_FROM or abs(value) < 10.0 ** -precision
        assert abs(written - exact) <= abs(exact) * Decimal(10) ** -precision
    else:
        assert abs(written - exact) <= Decimal(10) ** -precision / 2


def test_format_number_examples() -> None:
    assert format_number(1, 3) == "1.000"
    assert format_number(0.12345, 2) == "0.12"
    assert format_number(1e16, 3) == "1.000e+16"
    assert format_number(1.7e308, 4) == "1.7000e+308"
    assert format_number(1e-300, 3) == "1.000e-300"
    assert format_number(-0.0, 2) == "0.00"
    assert format_number(10**400, 2) == format_number(None, 2) == format_number(True, 2) == ""


lines = st.lists(
    st.lists(finite, min_size=1, max_size=6),  # one participant's successive best scores
    min_size=1, max_size=5,
)


@given(lines, precisions)
@example([[1e16], [1e16 + 2]], 4)
@example([[1.7e308]], 4)
@example([[-1.7976931348623157e308], [1.7976931348623157e308]], 3)
@example([[0.0], [5e-324]], 3)
@example([[0.5, 0.5, 0.5]], 0)
@example([[-1e308, 1e-300, 3.0]], 12)
@settings(deadline=500, max_examples=300)
def test_the_chart_is_bounded_for_any_finite_scores(values: list[list[float]], precision: int) -> None:
    drawn = [(f"p{i}", [(START + timedelta(minutes=j), v) for j, v in enumerate(line)])
             for i, line in enumerate(values)]
    chart = charts.draw_chart(drawn, "Score", precision)
    assert 2 <= len(chart.y_ticks) <= charts.MAX_Y_TICKS
    low_edge, high_edge = chart.top - 0.5, chart.bottom_edge + 0.5
    for tick in chart.y_ticks:
        assert low_edge <= tick["y"] <= high_edge
        assert len(tick["label"]) <= MAX_LENGTH
    assert [t["label"] for t in chart.y_ticks if t["label"]]  # at least one labelled tick
    for series in chart.series:
        for point in series.points:
            assert low_edge <= point["y"] <= high_edge
            assert chart.left <= point["x"] <= chart.right_edge
            assert len(point["title"]) <= MAX_LENGTH + 40
        assert len(series.best) <= MAX_LENGTH
        assert len(series.path) < 40 * (len(series.points) + 1)


def test_an_empty_chart_is_none() -> None:
    assert charts.draw_chart([("p", [])], "Score", 3) is None
