"""Archive checks: zip and tar.gz with '..', absolute paths, links out, devices, size and count caps."""

from __future__ import annotations

import hashlib
import io
import stat
import tarfile
import zipfile

import pytest

from competition.archives import ArchiveError, check_archive
from tests.helpers.archives import tar_gz_of, tar_member, zip_of


def check(data: bytes) -> str:
    return check_archive(io.BytesIO(data))


def test_good_zip_and_tar_return_their_sha256() -> None:
    good_zip = zip_of([("data/a.csv", b"1,2\n", 0), ("data/", b"", stat.S_IFDIR | 0o755),
                       ("link", b"data/a.csv", stat.S_IFLNK | 0o777)])
    good_tar = tar_gz_of([("a.csv", b"x"), tar_member("sub/link", tarfile.SYMTYPE, "../a.csv"),
                          tar_member("dir", tarfile.DIRTYPE)])
    for data in (good_zip, good_tar):
        assert check(data) == hashlib.sha256(data).hexdigest()


BAD_ZIPS = [
    (zip_of([("../escape", b"x", 0)]), "'..'"),
    (zip_of([("a/../../escape", b"x", 0)]), "'..'"),
    (zip_of([("/etc/passwd", b"x", 0)]), "absolute path"),
    (zip_of([("C:/windows", b"x", 0)]), "absolute path"),
    (zip_of([("out", b"../../etc", stat.S_IFLNK | 0o777)]), "link pointing outside"),
    (zip_of([("out", b"/etc/shadow", stat.S_IFLNK | 0o777)]), "link pointing outside"),
    (zip_of([("dev", b"", stat.S_IFCHR | 0o600)]), "special file"),
    (zip_of([("fifo", b"", stat.S_IFIFO | 0o600)]), "special file"),
]

BAD_TARS = [
    (tar_gz_of([("../escape", b"x")]), "'..'"),
    (tar_gz_of([("/abs", b"x")]), "absolute path"),
    (tar_gz_of([tar_member("l", tarfile.SYMTYPE, "../../etc/passwd")]), "link pointing outside"),
    (tar_gz_of([tar_member("l", tarfile.SYMTYPE, "/etc/passwd")]), "link pointing outside"),
    (tar_gz_of([tar_member("h", tarfile.LNKTYPE, "/etc/passwd")]), "hard link"),
    (tar_gz_of([tar_member("d", tarfile.CHRTYPE)]), "special file"),
    (tar_gz_of([tar_member("b", tarfile.BLKTYPE)]), "special file"),
    (tar_gz_of([tar_member("f", tarfile.FIFOTYPE)]), "special file"),
]


@pytest.mark.parametrize(("data", "problem"), BAD_ZIPS + BAD_TARS,
                         ids=[f"{kind}{index}-{problem}" for kind, cases in (("zip", BAD_ZIPS), ("tar", BAD_TARS))
                              for index, (_, problem) in enumerate(cases)])
def test_unsafe_members_are_refused(data: bytes, problem: str) -> None:
    with pytest.raises(ArchiveError) as error:
        check(data)
    assert problem in error.value.message


@pytest.mark.parametrize("data", [b"", b"plain text", b"PK\x03\x04broken", b"\x1f\x8bbroken gzip"])
def test_not_an_archive_or_corrupt(data: bytes) -> None:
    with pytest.raises(ArchiveError):
        check(data)


def test_too_large(settings) -> None:
    settings.EVALBOX_MAX_ARCHIVE_MB = 1
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("big", bytes(1024 * 1024 + 10))
    with pytest.raises(ArchiveError, match="larger than 1 MB"):
        check(big.getvalue())


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_too_many_members(settings, kind: str) -> None:
    settings.EVALBOX_MAX_ARCHIVE_MEMBERS = 3
    names = [f"f{i}" for i in range(4)]
    data = zip_of([(n, b"", 0) for n in names]) if kind == "zip" else tar_gz_of([(n, b"") for n in names])
    with pytest.raises(ArchiveError, match="more than 3 members"):
        check(data)
