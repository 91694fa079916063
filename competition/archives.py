"""Checking uploaded data and predictions archives before they are stored.

An archive is a zip or a gzip-compressed tar. It is refused when it is larger than
``EVALBOX_MAX_ARCHIVE_MB``, has more than ``EVALBOX_MAX_ARCHIVE_MEMBERS`` members, or holds a
member the worker would refuse to extract: an absolute path, a ``..`` component, a link
pointing outside the archive, a hard link, a device, a FIFO (rules shared with the worker
through :func:`compute_worker.protocol.archive_member_problem` and ``link_target_problem``).
"""

from __future__ import annotations

import hashlib
import stat
import tarfile
import zipfile
import zlib
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

from compute_worker.protocol import archive_member_problem, link_target_problem

_CHUNK = 1024 * 1024


class ArchiveError(ValidationError):
    """The archive is unsafe or malformed; ``message`` is meant for the uploader (forms show it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="archive")


def sha256_of(fileobj: IO[bytes]) -> str:
    """The sha256 hex digest of a file object's content (read from the start, left rewound)."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(_CHUNK), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def check_archive(fileobj: IO[bytes]) -> str:
    """Check an archive file object (seekable) and return its sha256; raise :class:`ArchiveError`."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    max_mb = settings.EVALBOX_MAX_ARCHIVE_MB
    if size > max_mb * 1024 * 1024:
        raise ArchiveError(f"The archive is larger than {max_mb} MB.")
    magic = fileobj.read(4)
    fileobj.seek(0)
    if magic.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        _check_zip(fileobj)
    elif magic.startswith(b"\x1f\x8b"):
        _check_tar(fileobj)
    else:
        raise ArchiveError("The file is not a zip or tar.gz archive.")
    return sha256_of(fileobj)


def _count(members: int) -> int:
    limit = settings.EVALBOX_MAX_ARCHIVE_MEMBERS
    if members > limit:
        raise ArchiveError(f"The archive has more than {limit} members.")
    return members


def _refuse(problem: str | None) -> None:
    if problem:
        raise ArchiveError(f"The archive contains {problem}.")


def _check_zip(fileobj: IO[bytes]) -> int:
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveError(f"The zip archive is corrupt: {exc}") from exc
    with archive:
        infos = archive.infolist()
        _count(len(infos))
        for info in infos:
            _refuse(archive_member_problem(info.filename))
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                try:
                    target = archive.read(info)[:4096].decode("utf-8", "replace")
                except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
                    raise ArchiveError(f"The zip archive is corrupt: {exc}") from exc
                _refuse(link_target_problem(info.filename, target))
            elif stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: no type recorded
                _refuse(f"a special file (device, FIFO or socket): {info.filename!r}")
    return len(infos)


def _check_tar(fileobj: IO[bytes]) -> int:
    members = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r:gz") as archive:
            for member in archive:
                members = _count(members + 1)
                _refuse(archive_member_problem(member.name))
                if member.issym():
                    _refuse(link_target_problem(member.name, member.linkname))
                elif member.islnk():
                    _refuse(f"a hard link: {member.name!r}")
                elif not (member.isfile() or member.isdir()):
                    _refuse(f"a special file (device, FIFO or socket): {member.name!r}")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"The tar.gz archive is corrupt: {exc}") from exc
    return members
