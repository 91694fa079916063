"""Walking and removing directory trees a container wrote, whatever their shape.

Every function here is iterative (no recursion, whatever the depth), opens each directory
relative to its parent with ``O_NOFOLLOW`` (a link is never followed, a path never grows past
``PATH_MAX``), holds a bounded number of file descriptors, and takes names as any bytes.
:func:`walk` yields the entries of a tree down to a depth and stops past a number of entries;
:func:`remove_tree` removes a tree of any depth, width and permissions.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The deepest a participant's or a scorer's output may nest directories.
MAX_DEPTH = 64
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class TreeTooLarge(Exception):
    """The tree has more entries than the walk allows."""


@dataclass(frozen=True)
class Entry:
    """One entry of a walked tree: ``dir_fd`` (valid until the next entry) holds ``name``."""

    dir_fd: int
    parts: tuple[str, ...]  #: the names from the root to the directory holding the entry
    name: str
    info: os.stat_result  #: ``lstat`` of the entry

    @property
    def depth(self) -> int:
        """How many directories lie between the root and the entry."""
        return len(self.parts)

    @property
    def shown(self) -> str:
        """The entry's path relative to the root, for messages."""
        return "/".join((*self.parts, self.name))


def open_directory(root_fd: int, parts: tuple[str, ...]) -> int:
    """A new descriptor of the directory ``parts`` under ``root_fd``, each step opened without following links."""
    fd = os.dup(root_fd)
    try:
        for name in parts:
            child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def walk(root: Path, *, max_depth: int, max_entries: int | None = None, strict: bool = True) -> Iterator[Entry]:
    """Every entry under ``root``, a directory before its content.

    A directory at depth ``max_depth`` is yielded but not entered. Past ``max_entries`` entries
    :class:`TreeTooLarge` is raised. An entry that vanished meanwhile is skipped. A directory that
    cannot be opened or read raises its :class:`OSError` when ``strict``, else is skipped (a tree
    that changes while it is measured).
    """
    root_fd = os.open(root, _DIR_FLAGS)
    pending: list[tuple[str, ...]] = [()]
    count = 0
    try:
        while pending:
            parts = pending.pop()
            try:
                dir_fd = open_directory(root_fd, parts)
            except OSError:
                if strict:
                    raise
                continue
            try:
                with os.scandir(dir_fd) as entries:
                    for item in entries:
                        count += 1
                        if max_entries is not None and count > max_entries:
                            raise TreeTooLarge(f"more than {max_entries} entries")
                        try:
                            info = os.lstat(item.name, dir_fd=dir_fd)
                        except FileNotFoundError:
                            continue
                        if stat.S_ISDIR(info.st_mode) and len(parts) < max_depth:
                            pending.append((*parts, item.name))
                        yield Entry(dir_fd, parts, item.name, info)
            except OSError:
                if strict:
                    raise
            finally:
                os.close(dir_fd)
    finally:
        os.close(root_fd)


def _clear_directory(dir_fd: int) -> list[str]:
    """Unlink every non-directory in ``dir_fd``; return the names of its subdirectories."""
    subdirectories = []
    with os.scandir(dir_fd) as entries:
        for item in entries:
            try:
                if stat.S_ISDIR(os.lstat(item.name, dir_fd=dir_fd).st_mode):
                    subdirectories.append(item.name)
                else:
                    os.unlink(item.name, dir_fd=dir_fd)
            except FileNotFoundError:
                continue
    return subdirectories


def _enter(dir_fd: int, name: str) -> int:
    """Open the subdirectory ``name``, giving it back its permissions first when it has none for us."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        os.chmod(name, 0o700, dir_fd=dir_fd)  # lstat said directory, not link: nothing else writes here now
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it, links never followed; a missing path is fine.

    Depth costs memory for the names of the pending subdirectories only: the walk goes down
    and back up (``..``) holding one directory open at a time.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(path)
        return
    with contextlib.suppress(PermissionError):
        os.chmod(path, 0o700)
    fd = os.open(path, _DIR_FLAGS)
    # levels[i]: the subdirectories of the directory at depth i still to remove.
    levels = [_clear_directory(fd)]
    try:
        while True:
            if levels[-1]:
                child = _enter(fd, levels[-1][-1])
                os.close(fd)
                fd = child
                levels.append(_clear_directory(fd))
                continue
            levels.pop()
            if not levels:
                break
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(levels[-1].pop(), dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(path)
