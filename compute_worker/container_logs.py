"""A container's log, kept within a cap: followed while it runs, completed after it stopped.

:class:`CappedLog` keeps the head and the tail of a stream in bounded memory;
:func:`follow_logs` feeds it from a running container and :func:`final_log` makes up for what
Docker's follow stream can miss at the end.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any

import docker.errors
import requests

logger = logging.getLogger(__name__)


class CappedLog:
    """Keeps the first and last ``cap // 2`` bytes of a stream; memory never exceeds ``cap``."""

    def __init__(self, cap_bytes: int) -> None:
        self.head_cap = cap_bytes // 2
        self.tail_cap = cap_bytes - self.head_cap
        self.head = bytearray()
        self.tail: collections.deque[bytes] = collections.deque()
        self.tail_size = 0
        self.total = 0
        self._lock = threading.Lock()

    def write(self, chunk: bytes) -> None:
        """Append a chunk."""
        with self._lock:
            self.total += len(chunk)
            room = self.head_cap - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if not chunk:
                return
            if len(chunk) > self.tail_cap:
                chunk = chunk[-self.tail_cap:]
            self.tail.append(chunk)
            self.tail_size += len(chunk)
            while self.tail_size > self.tail_cap:
                first = self.tail.popleft()
                excess = self.tail_size - self.tail_cap
                if len(first) > excess:
                    self.tail.appendleft(first[excess:])
                    self.tail_size -= excess
                else:
                    self.tail_size -= len(first)

    @property
    def truncated(self) -> bool:
        """Whether bytes were dropped."""
        return self.total > len(self.head) + self.tail_size

    def text(self) -> str:
        """The kept log as text, with a marker where bytes were dropped."""
        with self._lock:
            tail = b"".join(self.tail)
            omitted = self.total - len(self.head) - len(tail)
            head = bytes(self.head)
        if omitted > 0:
            marker = f"\n[... {omitted} bytes of log omitted by evalbox ...]\n".encode()
            data = head + marker + tail
        else:
            data = head + tail
        return data.decode("utf-8", "replace").replace("\x00", "\ufffd")


def follow_logs(container: Any, log: CappedLog) -> None:
    """Write the running container's log stream into ``log`` until the stream ends."""
    try:
        for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
            log.write(chunk)
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError) as exc:
        logger.debug("log stream ended: %s", exc)


def final_log(container: Any, followed: CappedLog, cap: int) -> CappedLog:
    """The more complete of the followed stream and a fresh read of the stopped container's log.

    Docker can close a follow stream of a container that just exited before sending its last
    lines; a fresh read after the exit has them. Docker keeps at most
    :data:`sandbox.DOCKER_LOG_MAX_SIZE` on disk, so for a log flood the followed stream
    (which saw every byte) is the one kept.
    """
    fresh = CappedLog(cap)
    # After a flood only the end is missing: ask Docker for the last lines instead of re-reading
    # its whole log file (up to 20 MB, seconds of work for the engine) just to keep the tail.
    tail: int | str = max(1000, cap) if followed.truncated else "all"
    try:
        for chunk in container.logs(stream=True, follow=False, stdout=True, stderr=True, tail=tail):
            fresh.write(chunk)
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError):
        return followed
    if fresh.total >= followed.total:
        return fresh
    # Docker rotated the log: the follow stream has the true head, the fresh read the true end.
    merged = CappedLog(cap)
    merged.head = followed.head
    merged.tail = fresh.tail if fresh.tail_size or not fresh.head else collections.deque([bytes(fresh.head)])
    merged.tail_size = sum(len(chunk) for chunk in merged.tail)
    merged.total = followed.total
    return merged
