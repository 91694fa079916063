"""The checks of a report's JSON values: each returns the value in its type and bounds, else raises ProtocolError."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .errors import ProtocolError


def json_object(data: Any) -> dict[str, Any]:
    """``data`` if it is a JSON object."""
    if not isinstance(data, dict):
        raise ProtocolError("The body must be a JSON object.")
    return data


def text_value(value: Any, name: str, maximum: int) -> str:
    """A string, cut to ``maximum`` characters."""
    if not isinstance(value, str):
        raise ProtocolError(f"{name} must be a string.")
    return value[:maximum]


def as_float(value: int | float) -> float | None:
    """``value`` as a finite float, or ``None`` (an integer of 400 digits has no float)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def finite(value: Any, name: str) -> float:
    """A number with a finite float value, as a float."""
    number = None if isinstance(value, bool) or not isinstance(value, (int, float)) else as_float(value)
    if number is None:
        raise ProtocolError(f"{name} must be a finite number.")
    return number


def integer(value: Any, name: str, bounds: tuple[int, int]) -> int:
    """An integer (never a bool) within ``bounds``."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ProtocolError(f"{name} must be an integer between {low} and {high}.")
    return value


def optional(value: Any, check: Callable[[Any], Any]) -> Any:
    """``None``, or ``check(value)``."""
    return None if value is None else check(value)
