"""Data cache (sha256, concurrency across processes, eviction, corruption) and safe extraction."""

from __future__ import annotations

import io
import multiprocessing
import os
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from compute_worker import archives, gpu
from compute_worker.data_cache import DataCache, DataError
from tests.helpers.archives import sha256, tar_gz, tar_gz_of, tar_member


def file_fetcher(data: bytes, log: Path | None = None, *, delay: float = 0.0, bad_first: int = 0):
    """A fetcher writing ``data`` (the first ``bad_first`` times: corrupted), logging each call."""
    calls = [0]

    def fetch(url: str, destination: Path) -> str:
        calls[0] += 1
        if log is not None:
            with open(log, "a") as handle:
                handle.write(f"{os.getpid()}\n")
        time.sleep(delay)
        body = data + b"x" if calls[0] <= bad_first else data
        destination.write_bytes(body)
        return sha256(body)

    return fetch


def test_fetch_extract_and_reuse(tmp_path):
    data = tar_gz({"a/b.txt": b"hello", "c.txt": b"world"})
    cache = DataCache(tmp_path / "cache", 100)
    with cache.lease(sha256(data), "u", file_fetcher(data)) as entry:
        assert entry.fetched and (entry.path / "a" / "b.txt").read_bytes() == b"hello"
    with cache.lease(sha256(data), "u", file_fetcher(b"unused")) as entry:
        assert not entry.fetched and (entry.path / "c.txt").read_bytes() == b"world"


def test_before_fetch_runs_before_a_download_only_and_what_it_raises_is_not_a_data_error(tmp_path):
    data = tar_gz({"a.txt": b"a"})
    cache = DataCache(tmp_path / "cache", 100)
    log = tmp_path / "fetches.log"

    class Stopped(Exception):
        pass

    def stop() -> None:
        raise Stopped

    with pytest.raises(Stopped), cache.lease(sha256(data), "u", file_fetcher(data, log), before_fetch=stop):
        pass
    assert not log.exists()  # nothing downloaded
    calls = []
    with cache.lease(sha256(data), "u", file_fetcher(data, log), before_fetch=lambda: calls.append("f")) as entry:
        assert entry.fetched and calls == ["f"]
    with cache.lease(sha256(data), "u", file_fetcher(data, log), before_fetch=stop) as entry:
        assert not entry.fetched  # a cache hit: no download, nothing to wait for
    assert len(log.read_text().split()) == 1


def test_sha_mismatch_refetched_once_then_data_error(tmp_path):
    data = tar_gz({"a.txt": b"a"})
    cache = DataCache(tmp_path / "cache", 100)
    with cache.lease(sha256(data), "u", file_fetcher(data, bad_first=1)) as entry:
        assert (entry.path / "a.txt").read_bytes() == b"a"
    other = tar_gz({"b.txt": b"b"})
    with pytest.raises(DataError, match="fetched twice"), cache.lease(sha256(other), "u",
                                                                       file_fetcher(other, bad_first=2)):
        pass
    assert not (tmp_path / "cache" / "entries" / sha256(other)).exists()
    assert list((tmp_path / "cache" / "tmp").iterdir()) == []


def _lease_in_process(cache_dir: str, data: bytes, log: str, out: str) -> None:
    cache = DataCache(cache_dir, 100)
    with cache.lease(sha256(data), "u", file_fetcher(data, Path(log), delay=1.0)) as entry:
        Path(out).write_text((entry.path / "f.txt").read_text())


def test_two_processes_extract_once(tmp_path):
    data = tar_gz({"f.txt": b"shared"})
    log = tmp_path / "fetch.log"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_lease_in_process, args=(str(tmp_path / "cache"), data, str(log),
                                                         str(tmp_path / f"out{i}"))) for i in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    assert len(log.read_text().splitlines()) == 1  # fetched and extracted once
    assert (tmp_path / "out0").read_text() == (tmp_path / "out1").read_text() == "shared"


def test_eviction_lru_never_evicts_in_use(tmp_path):
    cache = DataCache(tmp_path / "cache", 1)  # 1 MB
    blobs = [tar_gz({"f.bin": bytes([i]) * (600 << 10)}) for i in range(3)]
    keys = [sha256(b) for b in blobs]
    entries = tmp_path / "cache" / "entries"
    with cache.lease(keys[0], "u", file_fetcher(blobs[0])):
        with cache.lease(keys[1], "u", file_fetcher(blobs[1])):
            pass
        assert (entries / keys[0]).exists()  # in use: kept although the cache is over its size
    with cache.lease(keys[2], "u", file_fetcher(blobs[2])):
        pass
    remaining = sorted(p.name for p in entries.iterdir())
    assert remaining == [keys[2]]


@pytest.mark.parametrize("tampered", ["tampered!", "bad!"], ids=["other size", "same size"])
def test_corrupted_entry_is_refetched(tmp_path, tampered):
    data = tar_gz({"f.txt": b"good"})
    cache = DataCache(tmp_path / "cache", 100)
    with cache.lease(sha256(data), "u", file_fetcher(data)):
        pass
    (tmp_path / "cache" / "entries" / sha256(data) / "data" / "f.txt").write_text(tampered)
    with cache.lease(sha256(data), "u", file_fetcher(data)) as entry:
        assert entry.fetched and (entry.path / "f.txt").read_text() == "good"


UNSAFE_TARS = [
    ("'..'", [("../evil.txt", b"x")]),
    ("absolute path", [("/etc/evil", b"x")]),
    ("link pointing outside", [tar_member("link", tarfile.SYMTYPE, "/etc/passwd")]),
    ("link pointing outside", [tar_member("d/link", tarfile.SYMTYPE, "../../x")]),
    ("hard link", [tar_member("hard", tarfile.LNKTYPE, "/etc/passwd")]),
    ("device file", [tar_member("dev", tarfile.CHRTYPE)]),
    ("FIFO", [tar_member("fifo", tarfile.FIFOTYPE)]),
    ("more than 10 members", [(f"f{i}", b"x") for i in range(20)]),
    ("expands to more than 1 MB", [("big", b"x" * (2 << 20))]),
    ("twice", [("a", b"x"), ("a", b"x")]),
    ("twice", [tar_member("link", tarfile.SYMTYPE, "inside"), ("link/f", b"x")]),
]


@pytest.mark.parametrize(("archive", "message"), [
    *((tar_gz_of(members), message) for message, members in UNSAFE_TARS),
    (b"not an archive", "not a readable tar"),
], ids=[*(f"{index}-{message}" for index, (message, _) in enumerate(UNSAFE_TARS)), "not a tar"])
def test_unsafe_tar_archives(tmp_path, archive, message):
    path = tmp_path / "a.tgz"
    path.write_bytes(archive)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(archives.UnsafeArchive, match=message):
        archives.extract(path, target, max_bytes=1 << 20, max_files=10)
    assert not (tmp_path / "evil.txt").exists()


def test_unsafe_zip_and_safe_symlink(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.txt", "x")
    path = tmp_path / "a.zip"
    path.write_bytes(buffer.getvalue())
    (tmp_path / "out").mkdir()
    with pytest.raises(archives.UnsafeArchive, match="'..'"):
        archives.extract(path, tmp_path / "out", max_bytes=1 << 20, max_files=10)
    ok = tmp_path / "ok.tgz"
    ok.write_bytes(tar_gz_of([("d/f", b"x"), tar_member("d/link", tarfile.SYMTYPE, "f")]))
    (tmp_path / "ok").mkdir()
    archives.extract(ok, tmp_path / "ok", max_bytes=1 << 20, max_files=10)
    assert os.readlink(tmp_path / "ok" / "d" / "link") == "f"


def _hold_gpu(slot_dir: str, ids: list[str], queue, hold_s: float) -> None:
    with gpu.gpu_slot(1, ids, slot_dir, runtime_present=True, wait_s=0.5) as held:
        queue.put(held)
        time.sleep(hold_s)


def test_gpu_slots_exclusive_across_processes(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_hold_gpu, args=(str(tmp_path), ["0", "1"], queue, 2.0)) for _ in range(2)]
    for proc in procs:
        proc.start()
    held = sorted([queue.get(timeout=10)[0], queue.get(timeout=10)[0]])
    assert held == ["0", "1"]
    with pytest.raises(gpu.GpuUnavailable, match="No free GPU"), \
            gpu.gpu_slot(1, ["0", "1"], tmp_path, runtime_present=True, wait_s=0.3):
        pass
    for proc in procs:
        proc.join(10)
    with gpu.gpu_slot(2, ["0", "1"], tmp_path, runtime_present=True, wait_s=1) as both:
        assert both == ["0", "1"]
    with gpu.gpu_slot(0, [], tmp_path, runtime_present=False) as none:
        assert none == []
