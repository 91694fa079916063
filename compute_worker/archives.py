"""Safe extraction of zip and tar(.gz) archives.

Member names are checked with :func:`protocol.archive_member_problem`, symlinks with
:func:`protocol.link_target_problem`; hard links, device files and FIFOs are refused; the
total uncompressed size and the number of members are capped. Files are created with
``O_NOFOLLOW|O_EXCL`` below a fresh directory so that no member can write through a link.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from pathlib import Path

from . import protocol

_CHUNK = 1 << 20


class UnsafeArchive(ValueError):
    """The archive is malformed, unsafe or too large; the message says why."""


def _check_name(name: str) -> str:
    problem = protocol.archive_member_problem(name)
    if problem:
        raise UnsafeArchive(f"The archive contains {problem}.")
    clean = "/".join(part for part in name.replace("\\", "/").split("/") if part not in ("", "."))
    if "\n" in name or "\r" in name:
        raise UnsafeArchive(f"The archive contains a name with a newline: {name!r}.")
    return clean


class _Budget:
    def __init__(self, max_bytes: int, max_files: int) -> None:
        self.max_bytes, self.max_files = max_bytes, max_files
        self.bytes = 0
        self.files = 0

    def add_member(self) -> None:
        self.files += 1
        if self.files > self.max_files:
            raise UnsafeArchive(f"The archive has more than {self.max_files} members.")

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.max_bytes:
            raise UnsafeArchive(f"The archive expands to more than {self.max_bytes // (1 << 20)} MB.")


def _mkdirs(root: Path, relative: str) -> None:
    current = root
    for part in relative.split("/"):
        if not part:
            continue
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeArchive(f"The archive uses {relative!r} both as a file or link and as a directory.")


def _write_file(root: Path, relative: str, source, budget: _Budget, mode: int) -> None:  # noqa: ANN001
    parent, _, _name = relative.rpartition("/")
    if parent:
        _mkdirs(root, parent)
    target = root / relative
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags, 0o644 | (0o111 if mode & 0o111 else 0))
    except FileExistsError:
        raise UnsafeArchive(f"The archive contains {relative!r} twice.") from None
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = source.read(_CHUNK)
            if not chunk:
                break
            budget.add_bytes(len(chunk))
            out.write(chunk)


def _make_symlink(root: Path, relative: str, target: str) -> None:
    problem = protocol.link_target_problem(relative, target)
    if problem:
        raise UnsafeArchive(f"The archive contains {problem}.")
    parent = relative.rpartition("/")[0]
    if parent:
        _mkdirs(root, parent)
    try:
        os.symlink(target, root / relative)
    except FileExistsError:
        raise UnsafeArchive(f"The archive contains {relative!r} twice.") from None


def extract_tar(path: Path, destination: Path, *, max_bytes: int, max_files: int) -> None:
    """Extract a tar (optionally gzip/bz2/xz compressed) archive safely into ``destination``."""
    budget = _Budget(max_bytes, max_files)
    symlinks: list[tuple[str, str]] = []
    try:
        with tarfile.open(path, mode="r:*") as archive:
            for member in archive:
                budget.add_member()
                name = _check_name(member.name)
                if not name:
                    continue
                if member.isdir():
                    _mkdirs(destination, name)
                elif member.isreg():
                    source = archive.extractfile(member)
                    assert source is not None
                    with source:
                        _write_file(destination, name, source, budget, member.mode)
                elif member.issym():
                    symlinks.append((name, member.linkname))
                elif member.islnk():
                    raise UnsafeArchive(f"The archive contains a hard link: {member.name!r}.")
                else:
                    raise UnsafeArchive(f"The archive contains a device file, FIFO or other special file: "
                                        f"{member.name!r}.")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UnsafeArchive(f"The archive is not a readable tar or tar.gz file: {exc}") from exc
    # Links last, so no file is ever written through one.
    for name, target in symlinks:
        _make_symlink(destination, name, target)


def extract_zip(path: Path, destination: Path, *, max_bytes: int, max_files: int) -> None:
    """Extract a zip archive safely into ``destination``."""
    budget = _Budget(max_bytes, max_files)
    symlinks: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                budget.add_member()
                name = _check_name(info.filename)
                if not name:
                    continue
                unix_mode = info.external_attr >> 16
                file_type = stat.S_IFMT(unix_mode)
                if info.is_dir():
                    _mkdirs(destination, name)
                elif file_type == stat.S_IFLNK:
                    target = archive.read(info).decode("utf-8", "replace")
                    symlinks.append((name, target))
                elif file_type in (0, stat.S_IFREG):
                    with archive.open(info) as source:
                        _write_file(destination, name, source, budget, unix_mode)
                else:
                    raise UnsafeArchive(f"The archive contains a special file: {info.filename!r}.")
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise UnsafeArchive(f"The archive is not a readable zip file: {exc}") from exc
    for name, target in symlinks:
        _make_symlink(destination, name, target)


def extract(path: Path, destination: Path, *, max_bytes: int, max_files: int) -> None:
    """Extract ``path`` (zip, or tar/tar.gz detected by content) into the existing ``destination``."""
    if zipfile.is_zipfile(path):
        extract_zip(path, destination, max_bytes=max_bytes, max_files=max_files)
    else:
        extract_tar(path, destination, max_bytes=max_bytes, max_files=max_files)
