"""The site's one way of writing a score: every page, the chart, the CSV and the JSON API use it.

:func:`format_number` writes a value with its leaderboard column's precision, in fixed notation
while that stays short and meaningful, in scientific notation otherwise: from
:data:`SCIENTIFIC_FROM` up (fixed notation would print a digit per power of ten, 309 of them
for the largest float), and for a non-zero value that the precision would round to zero (so
``1e-300`` never reads ``0.000``, which would look equal to a real zero). The text is at most
:data:`MAX_LENGTH` characters for any finite float and any precision the model allows (0-12).
"""

from __future__ import annotations

import math
from typing import Any

#: Magnitudes from here up are written in scientific notation.
SCIENTIFIC_FROM = 1e15
#: No formatted score is longer: sign, 15 digits, point, 12 decimals (or a mantissa and exponent).
MAX_LENGTH = 30


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is missing, not a number or not finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond the largest float
        return None
    return number if math.isfinite(number) else None


def format_number(value: Any, precision: int) -> str:
    """A score as the site shows it, with ``precision`` decimals ("" when missing or not a number)."""
    number = as_number(value)
    if number is None:
        return ""
    number = number + 0.0  # -0.0 reads 0
    if abs(number) < SCIENTIFIC_FROM:
        fixed = f"{number:.{precision}f}"
        if number == 0 or float(fixed) != 0:
            return fixed
    return f"{number:.{precision}e}"
