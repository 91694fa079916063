"""``flock`` on lock files, the one locking rule of the worker's caches (shared by its processes)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


def lock(path: Path, mode: int) -> int:
    """Open (creating, mode 0600) and ``flock`` ``path`` with ``mode``; the open descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def unlock(fd: int) -> None:
    """Release and close a descriptor of :func:`lock`."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
