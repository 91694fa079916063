"""In-memory archives (tar.gz and zip), including hostile ones, and their sha256."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Iterable, Mapping


def sha256(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    """A tar header of any type (a link, a device, a FIFO...) with no data."""
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def tar_gz_of(members: Iterable[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    """A tar.gz of headers written as they are (:func:`tar_member`) and ``(name, data)`` files (mode 0644).

    The same members give the same bytes (the gzip header's time is 0): parametrized tests named
    by them are collected alike by every pytest-xdist process.
    """
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w") as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                archive.addfile(info, io.BytesIO(member[1]))
    return buffer.getvalue()


def tar_gz(files: Mapping[str, bytes]) -> bytes:
    """A tar.gz of ``{name: content}`` files."""
    return tar_gz_of(files.items())


def zip_of(members: Iterable[tuple[str, bytes, int]]) -> bytes:
    """A zip of ``(name, data, unix mode)`` members (mode 0: a plain file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            if mode:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip of ``{name: content}`` files."""
    return zip_of((name, data, 0) for name, data in files.items())


def dangerous_tar_gz() -> bytes:
    """A tar.gz with a member that escapes the extraction directory."""
    return tar_gz({"../escape.txt": b"x"})
