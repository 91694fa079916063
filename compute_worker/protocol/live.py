"""What a running submission reports besides its state: log chunks, progress, metadata, resources.

- A log chunk is the output of a stream from byte ``offset`` to byte ``end`` (both counted in the
  container's whole output), sent while the container runs; a chunk the site already has is a
  no-op, so a retried chunk changes nothing, and a gap (bytes the worker's caps dropped) is
  shown as :func:`omission_marker`.
- Progress and metadata come from the program's own ``{"evalbox": {...}}`` lines
  (``docs/participants.md``): a fraction in [0, 1] with a short message, and a flat object of
  metrics whose last value per key wins, bounded by :data:`MAX_METADATA_KEYS`.
- Resources are a bounded time series sampled by the worker (:data:`RESOURCE_COLUMNS`).

Every ``parse_*`` function raises :class:`ProtocolError` on a value the site must refuse and
returns the value within its bounds.
"""

from __future__ import annotations

from typing import Any

from .errors import ProtocolError
from .values import as_float

#: A live log chunk holds at most this many characters (the worker sends the newest ones).
MAX_LOG_CHUNK_CHARS = 64 * 1024
#: Stream offsets are byte counts of one container's output.
MAX_STREAM_OFFSET = 2**62

#: Metadata: at most this many keys of at most this many characters; values are finite numbers
#: or strings of at most :data:`MAX_METADATA_TEXT` characters.
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_TEXT = 200
#: A progress message is cut to this many characters.
MAX_PROGRESS_MESSAGE = 200

#: The resource series: at most this many points (the worker downsamples a long run), each a
#: time in seconds since the container started and one value per column.
MAX_SERIES_POINTS = 300
RESOURCE_COLUMNS = {
    "cpu": "CPU cores in use",
    "memory": "memory in bytes (without the page cache)",
    "pids": "processes and threads",
    "gpu_memory": "GPU memory in bytes (the run's GPUs)",
    "gpu_util": "GPU utilization in percent (mean of the run's GPUs)",
}


def omission_marker(omitted_bytes: int) -> str:
    """The line that stands for bytes of a log dropped by a cap (worker and site write the same)."""
    return f"\n[... {omitted_bytes} bytes of log omitted by evalbox ...]\n"


def _finite(value: Any) -> bool:
    """Whether ``value`` is a number with a finite float (an integer of 400 digits has none)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and as_float(value) is not None


def parse_offset(value: Any, name: str) -> int:
    """A stream offset: an integer in [0, :data:`MAX_STREAM_OFFSET`]."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_STREAM_OFFSET:
        raise ProtocolError(f"{name} must be an integer between 0 and {MAX_STREAM_OFFSET}.")
    return value


def parse_progress(value: Any) -> float | None:
    """A progress fraction in [0, 1], or ``None``."""
    if value is None:
        return None
    if not _finite(value) or not 0 <= value <= 1:
        raise ProtocolError("progress must be a number between 0 and 1.")
    return float(value)


def metadata_problem(key: Any, value: Any) -> str | None:
    """Why ``key: value`` cannot be a metadata entry, or ``None`` when it can."""
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_CHARS:
        return f"metric names must be 1 to {MAX_METADATA_KEY_CHARS} characters long"
    if isinstance(value, str):
        return None if len(value) <= MAX_METADATA_TEXT else f"metric '{key}' is longer than {MAX_METADATA_TEXT}"
    if not _finite(value):
        return f"metric '{key}' is not a finite number or a string"
    return None


def merge_metadata(current: dict[str, Any], update: dict[str, Any]) -> list[str]:
    """Merge ``update`` into ``current`` in place (last value wins); return the problems of what was left out.

    A new key past :data:`MAX_METADATA_KEYS` is left out; an existing key is always updated.
    """
    problems = []
    for key, value in update.items():
        problem = metadata_problem(key, value)
        if problem is None and key not in current and len(current) >= MAX_METADATA_KEYS:
            problem = f"metric '{key}' left out: at most {MAX_METADATA_KEYS} metrics are kept"
        if problem:
            problems.append(problem)
            continue
        current[key] = float(value) if not isinstance(value, str) else value
    return problems


def parse_metadata(value: Any) -> dict[str, Any]:
    """Metadata from a report: a flat object of at most :data:`MAX_METADATA_KEYS` valid entries."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_METADATA_KEYS:
        raise ProtocolError(f"metadata must be an object of at most {MAX_METADATA_KEYS} entries.")
    merged: dict[str, Any] = {}
    problems = merge_metadata(merged, value)
    if problems:
        raise ProtocolError(f"metadata refused: {problems[0]}.")
    return merged


def parse_resources(value: Any) -> dict[str, list[float]]:
    """A resource series: ``{"t": [...], column: [...], ...}`` of equal lengths, finite numbers only (``{}``: none)."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict) or "t" not in value:
        raise ProtocolError("resources must be an object with a 't' list.")
    unknown = set(value) - set(RESOURCE_COLUMNS) - {"t"}
    if unknown:
        raise ProtocolError(f"Unknown resource columns: {', '.join(sorted(map(str, unknown)))}.")
    length = None
    series: dict[str, list[float]] = {}
    for name, values in value.items():
        if not isinstance(values, list) or len(values) > MAX_SERIES_POINTS or not all(map(_finite, values)):
            raise ProtocolError(f"resources.{name} must be a list of at most {MAX_SERIES_POINTS} finite numbers.")
        if length is not None and len(values) != length:
            raise ProtocolError("resources lists must all have the same length.")
        length = len(values)
        series[name] = [float(v) for v in values]
    return series
