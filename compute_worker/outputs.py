"""Collecting a container's output without trusting it, and reading ``scores.json`` and ``detailed_results.html``.

:func:`collect_output` copies the regular files of a participant's ``/mnt/out`` into a fresh
directory (the one the scorer sees as ``/mnt/predictions``): links are never followed (every
file is opened with ``O_NOFOLLOW`` and checked to be the inode ``lstat`` saw), symlinks,
device files, FIFOs and sockets are dropped, names with newlines are refused, and the total
size, the number of entries and the depth are capped. The walk is :func:`trees.walk`: iterative,
by descriptor, any bytes in names.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import protocol, trees
from .protocol import FailureReason

SCORES_FILE = "scores.json"
DETAILED_RESULTS_FILE = "detailed_results.html"
MAX_SCORES_BYTES = 1 << 20
#: The scorer's /mnt/out may hold at most this much (scores.json, detailed_results.html and a little room).
MAX_SCORER_OUTPUT_BYTES = 2 * MAX_SCORES_BYTES + protocol.MAX_DETAILED_RESULTS_BYTES
MAX_OUTPUT_FILES = 50_000
_CHUNK = 1 << 20


class OutputProblem(RuntimeError):
    """The output cannot be accepted; :attr:`reason` is the failure to report."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class CollectedOutput:
    """What :func:`collect_output` kept and dropped."""

    files: int = 0
    bytes: int = 0
    dropped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the log."""
        text = f"{self.files} file(s), {self.bytes} bytes collected"
        if self.dropped:
            text += f"; dropped {len(self.dropped)} non-regular entr(ies): " + ", ".join(self.dropped[:10])
        return text


def _copy_file(entry: trees.Entry, target_fd: int, budget: list[int]) -> int:
    """Copy the regular file ``entry`` into ``target_fd``; the bytes copied, counted against ``budget``."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(entry.name, flags, dir_fd=entry.dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (entry.info.st_dev, entry.info.st_ino):
            raise OutputProblem(FailureReason.BAD_OUTPUT,
                                f"The output file {entry.shown!r} changed while it was collected.")
        copied = 0
        out = os.open(entry.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644, dir_fd=target_fd)
        try:
            while chunk := os.read(fd, _CHUNK):
                copied += len(chunk)
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise OutputProblem(FailureReason.OUTPUT_TOO_LARGE, "The output is larger than its cap.")
                os.write(out, chunk)
        finally:
            os.close(out)
        return copied
    finally:
        os.close(fd)


class _Targets:
    """The destination directory of the entries being collected, opened by descriptor (paths may pass PATH_MAX)."""

    def __init__(self, destination: Path) -> None:
        self.root_fd = os.open(destination, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        self.parts: tuple[str, ...] = ()
        self.fd = os.dup(self.root_fd)

    def of(self, entry: trees.Entry) -> int:
        """The descriptor of the destination directory of ``entry``."""
        if entry.parts != self.parts:
            fd = trees.open_directory(self.root_fd, entry.parts)
            os.close(self.fd)
            self.fd, self.parts = fd, entry.parts
        return self.fd

    def close(self) -> None:
        os.close(self.fd)
        os.close(self.root_fd)


def _collect_entry(entry: trees.Entry, targets: _Targets, result: CollectedOutput, budget: list[int],
                   max_bytes: int) -> None:
    """Copy one entry of the output (a directory is created, a regular file copied, anything else dropped)."""
    if "\n" in entry.name or "\r" in entry.name:
        raise OutputProblem(FailureReason.BAD_OUTPUT,
                            f"The output contains a file name with a newline: {entry.shown!r}.")
    mode = entry.info.st_mode
    if stat.S_ISDIR(mode):
        if entry.depth >= trees.MAX_DEPTH:
            raise OutputProblem(FailureReason.BAD_OUTPUT,
                                f"The output is nested deeper than {trees.MAX_DEPTH} directories.")
        os.mkdir(entry.name, 0o755, dir_fd=targets.of(entry))
    elif stat.S_ISREG(mode):
        if entry.info.st_size > budget[0]:  # before reading: a sparse file costs no disk, but its size counts
            raise OutputProblem(FailureReason.OUTPUT_TOO_LARGE,
                                f"The output is larger than {max_bytes // (1 << 20)} MB.")
        result.files += 1
        result.bytes += _copy_file(entry, targets.of(entry), budget)
    else:
        kind = "symlink" if stat.S_ISLNK(mode) else "special file"
        result.dropped.append(f"{entry.shown} ({kind})")


def collect_output(source: Path, destination: Path, *, max_bytes: int, max_files: int = MAX_OUTPUT_FILES
                   ) -> CollectedOutput:
    """Copy the regular files under ``source`` into the new directory ``destination`` safely.

    At most ``max_files`` entries of any kind, ``max_bytes`` bytes and :data:`trees.MAX_DEPTH`
    levels; a directory the worker cannot read fails the collection (:class:`OutputProblem`).
    """
    result = CollectedOutput()
    budget = [max_bytes]
    destination.mkdir(mode=0o755)
    targets = _Targets(destination)
    try:
        for entry in trees.walk(source, max_depth=trees.MAX_DEPTH, max_entries=max_files):
            _collect_entry(entry, targets, result, budget, max_bytes)
    except trees.TreeTooLarge:
        raise OutputProblem(FailureReason.OUTPUT_TOO_LARGE,
                            f"The output has more than {max_files} files and directories.") from None
    except PermissionError as exc:
        raise OutputProblem(FailureReason.BAD_OUTPUT,
                            f"The worker may not read a directory of the output ({exc.strerror}): give every "
                            "directory under /mnt/out read and search permission.") from None
    finally:
        targets.close()
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _read_bounded(path: Path, max_bytes: int) -> bytes | None:
    """The bytes of the scorer's regular file ``path`` (``None`` if absent); :class:`OutputProblem` past ``max_bytes``.

    A link or a special file is refused; the file is opened without following links and read
    at most one byte past the bound, so a file growing meanwhile is caught too.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise OutputProblem(FailureReason.SCORING_ERROR, f"{path.name} is not a regular file.")
    too_large = OutputProblem(FailureReason.SCORING_ERROR,
                              f"{path.name} is too large: at most {max_bytes} bytes are allowed.")
    if info.st_size > max_bytes:
        raise too_large
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    return data


def read_detailed_results(out_dir: Path) -> str:
    """The scorer's optional ``detailed_results.html`` as text (``""`` when it wrote none).

    At most :data:`~compute_worker.protocol.MAX_DETAILED_RESULTS_BYTES`; bytes that are not UTF-8
    are replaced. The site shows it sandboxed, never inline: its content is not checked here.
    """
    data = _read_bounded(out_dir / DETAILED_RESULTS_FILE, protocol.MAX_DETAILED_RESULTS_BYTES)
    return "" if data is None else data.decode("utf-8", errors="replace")


def read_scores(out_dir: Path) -> dict[str, float]:
    """Read and validate ``scores.json`` from the scorer's output directory.

    Raises :class:`OutputProblem` (``SCORING_ERROR``) with a clear reason when the file is
    missing, not a regular file, over 1 MB, not JSON, or not a flat object of finite numbers.
    """
    data = _read_bounded(out_dir / SCORES_FILE, MAX_SCORES_BYTES)
    if data is None:
        raise OutputProblem(FailureReason.SCORING_ERROR, "The scoring program wrote no scores.json.")
    try:
        scores = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise OutputProblem(FailureReason.SCORING_ERROR, f"scores.json is not valid JSON: {exc}") from None
    try:
        return protocol.validate_scores(scores)
    except protocol.ProtocolError as exc:
        raise OutputProblem(FailureReason.SCORING_ERROR, f"scores.json was refused: {exc}") from None
    except OverflowError:
        raise OutputProblem(FailureReason.SCORING_ERROR, "scores.json has a number too large to represent.") from None
