"""A sha256-keyed, size-bounded cache of extracted data archives, shared by worker processes.

Layout under the cache directory::

    entries/<sha256>/data/          the extracted archive (mounted read-only into containers)
    entries/<sha256>/manifest.json  written last: file list with sizes and mtimes (corruption check)
    locks/<sha256>.lock             flock: exclusive while fetching/extracting, shared while in use
    cache.lock                      flock: held while evicting or converting an entry lock
    tmp/                            downloads and extractions in progress

Concurrency: the first task to need an archive takes the entry lock exclusively, downloads,
checks the sha256 (a mismatch deletes the download and fetches once more), extracts into a
temporary directory and renames it into place; the others wait on the lock, then find the
entry ready. Users hold a shared lock for as long as a container uses the data, and eviction
(least recently used first, by manifest mtime) only removes entries it can lock exclusively.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import archives, trees
from .file_locks import lock, unlock

logger = logging.getLogger(__name__)

#: ``fetch(url, destination) -> sha256 hex`` downloads ``url`` into ``destination``.
Fetcher = Callable[[str, Path], str]

MANIFEST = "manifest.json"


class DataError(RuntimeError):
    """The data could not be fetched, did not match its sha256 or is not a safe archive."""


@dataclass
class CacheEntry:
    """A leased cache entry: :attr:`path` is the extracted data directory."""

    path: Path
    fetched: bool


def _walk_files(root: Path) -> dict[str, list[int]]:
    """Relative path -> [size, mtime in ns] of regular files; symlinks as [-1, 0]; never follows links.

    Any write to a cached file changes its mtime, so comparing this with the manifest finds a
    damaged entry without hashing the data again at every use.
    """
    result: dict[str, list[int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            full = os.path.join(dirpath, name)
            info = os.lstat(full)
            rel = os.path.relpath(full, root)
            result[rel] = [info.st_size, info.st_mtime_ns] if stat.S_ISREG(info.st_mode) else [-1, 0]
    return result


def _rmtree(path: Path) -> None:
    try:
        trees.remove_tree(path)
    except OSError as exc:
        logger.warning("cannot remove %s: %s", path, exc)


class DataCache:
    """The cache; safe to use from several processes and threads at once."""

    def __init__(self, directory: str | os.PathLike[str], max_mb: int, *, max_archive_mb: int = 20480,
                 max_files: int = 200_000) -> None:
        self.root = Path(directory).resolve()
        self.max_bytes = max_mb * (1 << 20)
        self.max_archive_bytes = max_archive_mb * (1 << 20)
        self.max_files = max_files
        for sub in ("entries", "locks", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ entries
    def _entry_dir(self, sha256: str) -> Path:
        return self.root / "entries" / sha256

    def _valid(self, sha256: str) -> bool:
        entry = self._entry_dir(sha256)
        try:
            with open(entry / MANIFEST) as handle:
                manifest = json.load(handle)
            return manifest.get("sha256") == sha256 and _walk_files(entry / "data") == manifest.get("files")
        except (OSError, ValueError):
            return False

    def _build(self, sha256: str, url: str, fetch: Fetcher) -> None:
        """Download, verify and extract into ``entries/<sha256>`` (caller holds the exclusive lock)."""
        workdir = Path(tempfile.mkdtemp(prefix=f"{sha256[:16]}.", dir=self.root / "tmp"))
        try:
            download = workdir / "archive"
            for attempt in (1, 2):
                try:
                    actual = fetch(url, download)
                except Exception as exc:  # noqa: BLE001 - any fetch failure is a data error
                    raise DataError(f"Could not download the data archive: {exc}") from exc
                if actual == sha256:
                    break
                download.unlink(missing_ok=True)
                logger.warning("sha256 mismatch for %s (attempt %d): got %s", url, attempt, actual)
            else:
                raise DataError(f"The data archive's sha256 does not match: expected {sha256}, got {actual} "
                                "(fetched twice).")
            data = workdir / "entry" / "data"
            data.mkdir(parents=True)
            try:
                archives.extract(download, data, max_bytes=self.max_archive_bytes, max_files=self.max_files)
            except archives.UnsafeArchive as exc:
                raise DataError(f"The data archive was refused: {exc}") from exc
            download.unlink()
            files = _walk_files(data)
            manifest = {"sha256": sha256, "files": files, "created": time.time(),
                        "bytes": sum(size for size, _ in files.values() if size > 0)}
            with open(workdir / "entry" / MANIFEST, "w") as handle:
                json.dump(manifest, handle)
            target = self._entry_dir(sha256)
            if target.exists():  # a corrupted leftover
                _rmtree(target)
            os.rename(workdir / "entry", target)
        finally:
            _rmtree(workdir)

    @contextlib.contextmanager
    def lease(self, sha256: str, url: str, fetch: Fetcher, *,
              before_fetch: Callable[[], None] | None = None) -> Iterator[CacheEntry]:
        """Yield the extracted data of ``sha256`` (fetching it if needed), in use until the block ends.

        ``before_fetch()`` is called before a download, outside the data errors: what it raises propagates.
        """
        lock_path = self.root / "locks" / f"{sha256}.lock"
        fd = lock(lock_path, fcntl.LOCK_EX)
        try:
            fetched = False
            if not self._valid(sha256):
                if self._entry_dir(sha256).exists():
                    logger.warning("cache entry %s is corrupted; fetching it again", sha256)
                if before_fetch is not None:
                    before_fetch()
                self._build(sha256, url, fetch)
                fetched = True
            # Convert to a shared lock while holding the cache lock, so eviction cannot slip in
            # between the release and the re-acquisition (flock conversion is not atomic).
            global_fd = lock(self.root / "cache.lock", fcntl.LOCK_EX)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
            finally:
                unlock(global_fd)
            manifest = self._entry_dir(sha256) / MANIFEST
            with contextlib.suppress(OSError):
                os.utime(manifest)
            if fetched:
                self.evict(keep=sha256)
            yield CacheEntry(path=self._entry_dir(sha256) / "data", fetched=fetched)
        finally:
            unlock(fd)

    # ------------------------------------------------------------------ eviction
    def entries(self) -> list[tuple[float, int, str]]:
        """``(last use, bytes, sha256)`` of every complete entry, least recently used first."""
        result = []
        for entry in (self.root / "entries").iterdir():
            try:
                info = os.stat(entry / MANIFEST)
                with open(entry / MANIFEST) as handle:
                    size = int(json.load(handle).get("bytes", 0))
            except (OSError, ValueError):
                size, info = 0, os.lstat(entry)
            result.append((info.st_mtime, size, entry.name))
        return sorted(result)

    def evict(self, keep: str = "") -> list[str]:
        """Remove least recently used entries not in use until the cache fits; return the removed keys."""
        removed = []
        global_fd = lock(self.root / "cache.lock", fcntl.LOCK_EX)
        try:
            entries = self.entries()
            total = sum(size for _, size, _ in entries)
            for _, size, sha256 in entries:
                if total <= self.max_bytes:
                    break
                if sha256 == keep:
                    continue
                try:
                    fd = lock(self.root / "locks" / f"{sha256}.lock", fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # in use
                try:
                    _rmtree(self._entry_dir(sha256))
                finally:
                    unlock(fd)
                total -= size
                removed.append(sha256)
        finally:
            unlock(global_fd)
        for sha256 in removed:
            logger.info("evicted data cache entry %s", sha256)
        return removed
