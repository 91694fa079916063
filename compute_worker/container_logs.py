"""A container's log, kept within a cap: followed while it runs, completed after it stopped.

:class:`CappedLog` keeps the head and the tail of a stream in bounded memory (and hands out
what is new since an offset, for live chunks); :func:`output_frames` reads Docker's log
endpoint with each frame's stream (stdout or stderr); :func:`follow_output` feeds a running
container's frames to a :class:`ProgramOutput` and :func:`final_output` makes up for what
Docker's follow stream can miss at the end.
"""

from __future__ import annotations

import collections
import logging
import struct
from collections.abc import Iterator
from typing import Any

import docker.errors
import requests

from .capped_log import CappedLog
from .program_output import ProgramOutput

__all__ = ["CappedLog", "STDERR", "STDOUT", "final_output", "follow_output", "output_frames"]

logger = logging.getLogger(__name__)

#: The stream numbers of Docker's multiplexed log frames.
STDOUT, STDERR = 1, 2
_FRAME_HEADER = struct.Struct(">BxxxL")
#: At most this much is read from the log stream at once.
READ_SIZE = 1 << 16


def output_frames(container: Any, *, follow: bool, tail: int | str = "all") -> Iterator[tuple[int, bytes]]:
    """The container's output from Docker's log endpoint as ``(stream, bytes)`` pieces.

    The SDK's ``logs()`` merges stdout and stderr; the endpoint itself tags every frame
    (non-TTY containers), which is what tells a program's ``{"evalbox": ...}`` lines on stdout
    apart. The request goes through the SDK's own HTTP session (``container.client.api``);
    what arrives is read as it comes (``read1``), and consecutive frames of one stream are
    handed over together.
    """
    api = container.client.api
    url = f"{api.base_url}/v{api.api_version}/containers/{container.id}/logs"
    params = {"stdout": 1, "stderr": 1, "follow": int(follow), "tail": tail}
    response = api.get(url, params=params, stream=True, timeout=None if follow else 60)
    try:
        if response.status_code != 200:
            raise docker.errors.APIError(f"logs: HTTP {response.status_code}", response=response)
        buffer = bytearray()
        while data := response.raw.read1(READ_SIZE):
            buffer += data
            yield from _frames(buffer)
    finally:
        response.close()


def _frames(buffer: bytearray) -> Iterator[tuple[int, bytes]]:
    """The complete frames at the start of ``buffer``, removed from it, same-stream neighbours joined."""
    position, pieces, current = 0, [], None
    while len(buffer) - position >= _FRAME_HEADER.size:
        stream, length = _FRAME_HEADER.unpack_from(buffer, position)
        if len(buffer) - position - _FRAME_HEADER.size < length:
            break
        start = position + _FRAME_HEADER.size
        if stream != current and pieces:
            yield current, b"".join(pieces)
            pieces = []
        current = stream
        pieces.append(bytes(buffer[start:start + length]))
        position = start + length
    if pieces:
        yield current, b"".join(pieces)
    del buffer[:position]


def _feed(output: ProgramOutput, frames: Iterator[tuple[int, bytes]]) -> None:
    for stream, data in frames:
        output.feed(data, stdout=stream == STDOUT)


def follow_output(container: Any, output: ProgramOutput) -> None:
    """Feed the running container's output to ``output`` until the stream ends."""
    try:
        _feed(output, output_frames(container, follow=True))
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError) as exc:
        logger.debug("log stream ended: %s", exc)


def final_output(container: Any, followed: ProgramOutput, cap: int) -> ProgramOutput:
    """The more complete of the followed stream and a fresh read of the stopped container's output.

    Docker can close a follow stream of a container that just exited before sending its last
    lines; a fresh read after the exit has them. Docker keeps at most
    :data:`sandbox.DOCKER_LOG_MAX_SIZE` on disk, so for a log flood the followed stream
    (which saw every byte) keeps the head, and the fresh read gives the end.
    """
    followed.finish()
    fresh = ProgramOutput(cap)
    # After a flood only the end is missing: ask Docker for the last lines instead of re-reading
    # its whole log file (up to 20 MB, seconds of work for the engine) just to keep the tail.
    tail: int | str = max(1000, cap) if followed.log.truncated else "all"
    try:
        _feed(fresh, output_frames(container, follow=False, tail=tail))
    except (docker.errors.APIError, requests.RequestException, OSError, ValueError):
        return followed
    fresh.finish()
    if fresh.raw_total >= followed.raw_total:
        return fresh
    # Docker rotated the log: the follow stream has the true head, the fresh read the true end.
    merged = ProgramOutput(cap)
    merged.log.head = followed.log.head
    merged.log.tail = (fresh.log.tail if fresh.log.tail_size or not fresh.log.head
                       else collections.deque([bytes(fresh.log.head)]))
    merged.log.tail_size = sum(len(chunk) for chunk in merged.log.tail)
    merged.log.total = followed.log.total
    merged.raw_total = followed.raw_total
    merged.program = followed.program.updated_by(fresh.program)
    return merged
