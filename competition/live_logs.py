"""A running container's log on the site, built from the worker's live chunks within the phase's cap.

The stored log is ``head + marker + tail``: the first half of the cap as it came, then (once
something was dropped) :func:`~compute_worker.protocol.live.omission_marker`, then the newest
output within the other half. Its cursor (``Submission.log_cursors[stream]``) says how far the
stream has been received (``end``, in bytes of the container's output), how long the head is
and how many bytes are not shown. A chunk the site already has changes nothing (a retry); a
gap (bytes the worker's own cap dropped) counts as omitted. The whole final log the worker sends
at the end of a run replaces what the chunks built, and later chunks are ignored.

Every chunk costs bounded work and storage: at most ``MAX_LOG_CHUNK_CHARS`` in, at most the cap kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from compute_worker.protocol import MAX_REPORT_LOG_CHARS, LogReport
from compute_worker.protocol.live import omission_marker


@dataclass
class Cursor:
    """How far one stream's log was built."""

    end: int = 0
    head: int = 0
    omitted: int = 0
    complete: bool = False

    @classmethod
    def of(cls, data: Any) -> Cursor:
        """The cursor stored as ``data`` (a JSON object), or a fresh one."""
        if not isinstance(data, dict):
            return cls()
        return cls(**{key: data[key] for key in ("end", "head", "omitted", "complete") if key in data})


def log_cap(log_max_kb: int) -> int:
    """The characters a phase keeps of a log: its log cap, within what a report may carry."""
    return min(log_max_kb * 1024, MAX_REPORT_LOG_CHARS)


def _split(text: str, cursor: Cursor) -> tuple[str, str]:
    """The head and the tail of a stored log."""
    rest = text[cursor.head:]
    if cursor.omitted:
        rest = rest.removeprefix(omission_marker(cursor.omitted))
    return text[: cursor.head], rest


def _unseen(chunk: LogReport, end: int) -> str:
    """The part of ``chunk`` after byte ``end`` (a chunk overlapping what the site has)."""
    if chunk.offset is None or chunk.offset >= end:
        return chunk.text
    return chunk.text.encode("utf-8", "surrogatepass")[end - chunk.offset:].decode("utf-8", "replace")


def append_chunk(text: str, cursor: Cursor, chunk: LogReport, cap: int) -> tuple[str, Cursor]:
    """The log and its cursor once ``chunk`` is added (unchanged for a chunk already there)."""
    assert chunk.offset is not None and chunk.end is not None
    if cursor.complete or chunk.end <= cursor.end:
        return text, cursor
    head, tail = _split(text, cursor)
    new = _unseen(chunk, cursor.end)
    omitted = cursor.omitted + max(0, chunk.offset - cursor.end)
    head_cap = cap // 2
    if not omitted and not tail and len(head) < head_cap:
        room = head_cap - len(head)
        head, new = head + new[:room], new[room:]
    tail += new
    if len(tail) > cap - head_cap:
        dropped, tail = tail[: len(tail) - (cap - head_cap)], tail[len(tail) - (cap - head_cap):]
        omitted += len(dropped.encode("utf-8", "surrogatepass"))
    updated = Cursor(end=chunk.end, head=len(head), omitted=omitted)
    return head + (omission_marker(omitted) if omitted else "") + tail, updated


def record_log(submission: Any, report: LogReport) -> str:
    """Store ``report`` on ``submission`` (unsaved); return the name of the log field it changed."""
    field = f"{report.stream}_log"
    cursors = dict(submission.log_cursors or {})
    if report.is_chunk:
        cap = log_cap(submission.phase.log_max_kb)
        text, cursor = append_chunk(getattr(submission, field), Cursor.of(cursors.get(report.stream)), report, cap)
    else:
        text, cursor = report.text, Cursor(complete=True)
    setattr(submission, field, text)
    cursors[report.stream] = asdict(cursor)
    submission.log_cursors = cursors
    return field
