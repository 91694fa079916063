"""A program's output as the worker reads it: ``{"evalbox": ...}`` lines on stdout are read, the rest is its log.

A standard-output line that is a JSON object whose single key is ``evalbox`` is a control line
(``docs/participants.md``): ``{"evalbox": {"progress": 0.42, "message": "epoch 3/10"}}`` sets
the progress, ``{"evalbox": {"metrics": {"loss": 0.24}}}`` merges into the run's metadata
(last value per key wins). It never reaches the log; what the worker cannot use in it leaves a
one-line note in the log instead (at most :data:`MAX_NOTES`).

Memory stays bounded whatever the program prints: a stdout line is held back only while it can
still be a control line (it starts with ``{`` and is at most :data:`MAX_CONTROL_LINE_BYTES`
long); anything else goes straight to the capped log.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .capped_log import CappedLog
from .protocol import live

#: A control line is at most this long (its newline included); a longer line is logged.
MAX_CONTROL_LINE_BYTES = 16 * 1024
CONTROL_KEY = "evalbox"
#: At most this many notes about unusable control lines are written to the log.
MAX_NOTES = 20
_BLANK = b" \t"


@dataclass
class ProgramState:
    """What the program said about itself: progress, its message and the merged metadata (thread-safe)."""

    progress: float | None = None
    message: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def apply(self, control: Any) -> list[str]:
        """Apply the value of one control line; return what could not be used, in words."""
        if not isinstance(control, dict):
            return ['the value of "evalbox" must be an object']
        problems = [f"unknown key '{key}'" for key in control if key not in ("progress", "message", "metrics")]
        with self.lock:
            if "progress" in control:
                try:
                    self.progress = live.parse_progress(control["progress"])
                except live.ProtocolError as exc:
                    problems.append(str(exc).rstrip("."))
            if "message" in control:
                if isinstance(control["message"], str):
                    self.message = control["message"][: live.MAX_PROGRESS_MESSAGE]
                else:
                    problems.append("message must be a string")
            if "metrics" in control:
                if isinstance(control["metrics"], dict):
                    problems += live.merge_metadata(self.metadata, control["metrics"])
                else:
                    problems.append("metrics must be an object")
        return problems

    def snapshot(self) -> tuple[float | None, str, dict[str, Any]]:
        """``(progress, message, metadata)`` as of now."""
        with self.lock:
            return self.progress, self.message, dict(self.metadata)

    def updated_by(self, later: ProgramState) -> ProgramState:
        """This state with what ``later`` saw applied on top (its progress, if any; its metadata merged)."""
        progress, message, metadata = self.snapshot()
        later_progress, later_message, later_metadata = later.snapshot()
        merged = ProgramState(progress=later_progress if later_progress is not None else progress,
                              message=later_message or message, metadata=metadata)
        live.merge_metadata(merged.metadata, later_metadata)
        return merged


def _control_value(line: bytes) -> tuple[bool, Any]:
    """``(True, value)`` when ``line`` is ``{"evalbox": value}``, else ``(False, None)``."""
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False, None
    if isinstance(data, dict) and len(data) == 1 and CONTROL_KEY in data:
        return True, data[CONTROL_KEY]
    return False, None


class ProgramOutput:
    """Splits a container's output into its capped :attr:`log` and the :attr:`program` state."""

    def __init__(self, log_cap: int) -> None:
        self.log = CappedLog(log_cap)
        self.program = ProgramState()
        self.raw_total = 0  #: bytes of output seen, control lines included
        self.notes = 0
        self._line = bytearray()  # the held-back start of the current stdout line
        self._passing = False  # the current stdout line cannot be a control line: it goes to the log

    def feed(self, data: bytes, *, stdout: bool) -> None:
        """Take the next bytes of stdout (``stdout=True``) or stderr."""
        self.raw_total += len(data)
        if not stdout:
            self.log.write(data)
            return
        while data:
            newline = data.find(b"\n")
            piece, data = (data, b"") if newline < 0 else (data[: newline + 1], data[newline + 1:])
            if self._passing:
                self.log.write(piece)
                self._passing = newline < 0
                continue
            self._line += piece
            if newline >= 0:
                self._end_line()
            elif len(self._line) > MAX_CONTROL_LINE_BYTES or not self._may_be_control():
                self.log.write(bytes(self._line))
                self._line.clear()
                self._passing = True

    def finish(self) -> None:
        """The output ended: a last line without a newline is read or logged like any other."""
        if self._line:
            self._end_line()
        self._passing = False

    def _may_be_control(self) -> bool:
        start = self._line.lstrip(_BLANK)
        return not start or start.startswith(b"{")

    def _end_line(self) -> None:
        line = bytes(self._line)
        self._line.clear()
        candidate = len(line) <= MAX_CONTROL_LINE_BYTES and line.lstrip(_BLANK).startswith(b"{")
        is_control, value = _control_value(line) if candidate else (False, None)
        if not is_control:
            self.log.write(line)
            return
        for problem in self.program.apply(value):
            self._note(problem)

    def _note(self, problem: str) -> None:
        self.notes += 1
        if self.notes <= MAX_NOTES:
            self.log.write(f"[evalbox: a progress line was not fully used: {problem}]\n".encode())
        elif self.notes == MAX_NOTES + 1:
            self.log.write(b"[evalbox: further problems with progress lines are not shown]\n")
