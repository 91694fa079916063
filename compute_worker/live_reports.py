"""What the worker tells the site while a container runs: heartbeats with progress, and live log chunks.

:class:`Watcher` is the runner's watch callback for one run: every ``heartbeat_s`` it sends a
heartbeat carrying the program's progress, metadata and resource series, and every
``log_flush_s`` the log written since the last chunk the site took (:class:`LogChunker`).
Both go once, with a short timeout and no retries: the next tick sends the newer state, and a
chunk not taken is sent again with what followed it. A 409 (cancelled) stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .capped_log import CappedLog
from .followers import LiveRun
from .protocol import LogReport, Status, StatusReport
from .protocol.live import MAX_LOG_CHUNK_CHARS
from .site_client import SiteClient, SiteError, SubmissionGone


def _complete_utf8(data: bytes) -> bytes:
    """``data`` without a trailing incomplete UTF-8 sequence (sent with the next chunk instead)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # a lead byte: is its sequence complete?
            length = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= length else data[:-back]
    return data


class LogChunker:
    """The next live chunk of one stream's log, and what the site has taken so far."""

    def __init__(self, stream: str) -> None:
        self.stream = stream
        self.sent = 0  #: the stream offset up to which the site has the log

    def next_chunk(self, log: CappedLog) -> LogReport | None:
        """The log written since :attr:`sent` (at most :data:`MAX_LOG_CHUNK_CHARS` bytes), or ``None``."""
        start, data = log.since(self.sent, MAX_LOG_CHUNK_CHARS)
        data = _complete_utf8(data)
        if not data:
            return None
        return LogReport(stream=self.stream, text=data.decode("utf-8", "replace"), offset=start,
                         end=start + len(data))

    def taken(self, chunk: LogReport) -> None:
        """The site took ``chunk``."""
        self.sent = max(self.sent, chunk.end or 0)


class Watcher:
    """The watch callback of one run (see the module's docstring); ``False`` once the site answered 409."""

    def __init__(self, site: SiteClient, report: Callable[[LiveRun], StatusReport], stream: str, *,
                 heartbeat_s: float, log_flush_s: float) -> None:
        self.site = site
        self.report = report
        self.chunker = LogChunker(stream)
        self.heartbeat_s, self.log_flush_s = heartbeat_s, log_flush_s
        self.last_beat = self.last_flush = time.monotonic()

    def __call__(self, live: LiveRun) -> bool:
        now = time.monotonic()
        try:
            if now - self.last_flush >= self.log_flush_s:
                self.last_flush = now
                self._flush(live)
            if now - self.last_beat >= self.heartbeat_s:
                self.last_beat = now
                self.site.heartbeat(self.report(live))
        except SubmissionGone:
            return False
        return True

    def _flush(self, live: LiveRun) -> None:
        chunk = self.chunker.next_chunk(live.output.log)
        if chunk is None:
            return
        try:
            self.site.log_chunk(chunk)
        except SubmissionGone:
            raise
        except SiteError:
            return  # sent again, with what follows, at the next flush
        self.chunker.taken(chunk)


def running_report(status: Status, message: str, attempt: int, worker: str, live: LiveRun, *,
                   with_metadata: bool) -> StatusReport:
    """A heartbeat of ``status`` with what the program said so far (its metadata only if ``with_metadata``)."""
    progress, progress_message, metadata = live.output.program.snapshot()
    return StatusReport(status=status, message=f"{message} ({live.elapsed_s:.0f} s)",
                        elapsed_s=round(live.elapsed_s, 3), attempt=attempt, progress=progress,
                        progress_message=progress_message, metadata=metadata if with_metadata else None,
                        resources=live.resources.to_json() if with_metadata else None, worker=worker)
