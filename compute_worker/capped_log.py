"""A stream kept within a cap: its first and last bytes, in bounded memory."""

from __future__ import annotations

import collections
import threading

from .protocol.live import omission_marker


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

    def since(self, offset: int, max_bytes: int) -> tuple[int, bytes]:
        """``(start, data)``: the kept bytes of the stream from ``offset`` on, at most ``max_bytes``.

        ``start > offset`` when bytes in between were dropped. In the head the first bytes come
        first; in the tail only the newest ``max_bytes`` are given (older ones are skipped).
        """
        with self._lock:
            head_len = len(self.head)
            tail_start = self.total - self.tail_size
            if offset < head_len:
                data = bytes(self.head[offset:offset + max_bytes])
                if len(data) < max_bytes and tail_start == head_len:
                    data += self._tail_from(head_len, head_len + max_bytes - len(data))
                return offset, data
            start = max(offset, tail_start, self.total - max_bytes)
            return start, self._tail_from(start, self.total)

    def _tail_from(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the stream, all within the tail (the lock held)."""
        pieces: list[bytes] = []
        position = self.total
        for chunk in reversed(self.tail):
            if position <= start:
                break
            chunk_start = position - len(chunk)
            pieces.append(chunk[max(0, start - chunk_start):len(chunk) - max(0, position - end)])
            position = chunk_start
        return b"".join(reversed(pieces))

    def text(self) -> str:
        """The kept log as text, with a marker where bytes were dropped."""
        with self._lock:
            tail = b"".join(self.tail)
            omitted = self.total - len(self.head) - len(tail)
            head = bytes(self.head)
        marker = omission_marker(omitted).encode() if omitted > 0 else b""
        data = head + marker + tail
        return data.decode("utf-8", "replace").replace("\x00", "\ufffd")
