"""Pulled images kept up to a disk budget, least recently used evicted first, shared by worker processes.

Layout under ``EVALBOX_IMAGE_CACHE_DIR``::

    entries/<key>.json   an image this worker pulled: its pinned reference, bytes, role, keep-until
    locks/<key>.lock     flock: shared while a job uses the image, exclusive while it is evicted
    cache.lock           flock: held while evicting

The key is derived from the pinned reference (``name@sha256:...``), so a job takes its lock
*before* it looks for the image: an eviction can never remove an image between a job's lookup
and its run. Only images the worker pulled itself are recorded, so images an operator put on
the machine are never removed. A scoring image is kept while its phase is open
(``keep_until`` 0: the phase never closes).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .file_locks import lock, unlock

logger = logging.getLogger(__name__)

#: ``remove(reference) -> bool``: remove the image from the engine; whether it is gone.
Remover = Callable[[str], bool]


@dataclass(frozen=True)
class CachedImage:
    """One recorded image."""

    key: str
    reference: str
    bytes: int
    role: str
    keep_until: float
    last_use: float

    def kept(self, now: float) -> bool:
        """Whether the image must stay whatever the budget (a scoring image of an open phase)."""
        return self.role == "scoring" and (self.keep_until == 0 or self.keep_until > now)


def cache_key(reference: str) -> str:
    """The file name key of a pinned reference."""
    return hashlib.sha256(reference.encode()).hexdigest()[:40]


class ImageCache:
    """The budgeted record of pulled images; safe to use from several processes at once."""

    def __init__(self, directory: str | os.PathLike[str], max_mb: int) -> None:
        self.root = Path(directory).resolve()
        self.max_bytes = max_mb * (1 << 20)
        for sub in ("entries", "locks"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def _entry(self, key: str) -> Path:
        return self.root / "entries" / f"{key}.json"

    @contextlib.contextmanager
    def lease(self, reference: str) -> Iterator[None]:
        """Hold ``reference`` in use (a shared lock) until the block ends; marks it used now."""
        key = cache_key(reference)
        fd = lock(self.root / "locks" / f"{key}.lock", fcntl.LOCK_SH)
        try:
            with contextlib.suppress(OSError):
                os.utime(self._entry(key))
            yield
        finally:
            unlock(fd)

    def record(self, reference: str, size: int, *, role: str, keep_until: float = 0.0) -> None:
        """Record an image the worker just pulled (call it inside :meth:`lease`)."""
        data = {"reference": reference, "bytes": size, "role": role, "keep_until": keep_until}
        path = self._entry(cache_key(reference))
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(data))
        os.replace(partial, path)

    def entries(self) -> list[CachedImage]:
        """Every recorded image, least recently used first."""
        found = []
        for path in (self.root / "entries").glob("*.json"):
            try:
                data = json.loads(path.read_text())
                found.append(CachedImage(path.stem, str(data["reference"]), int(data["bytes"]), str(data["role"]),
                                         float(data.get("keep_until") or 0), path.stat().st_mtime))
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("image cache entry %s is unreadable; ignored", path.name)
        return sorted(found, key=lambda entry: (entry.last_use, entry.key))

    def evict(self, remove: Remover, keep: str = "") -> list[str]:
        """Remove least recently used images nobody uses until the budget holds; return their references."""
        removed: list[str] = []
        global_fd = lock(self.root / "cache.lock", fcntl.LOCK_EX)
        try:
            entries = self.entries()
            total = sum(entry.bytes for entry in entries)
            now = time.time()
            for entry in entries:
                if total <= self.max_bytes:
                    break
                if entry.reference == keep or entry.kept(now):
                    continue
                try:
                    fd = lock(self.root / "locks" / f"{entry.key}.lock", fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a job uses it
                try:
                    if remove(entry.reference):
                        self._entry(entry.key).unlink(missing_ok=True)
                        total -= entry.bytes
                        removed.append(entry.reference)
                finally:
                    unlock(fd)
        finally:
            unlock(global_fd)
        for reference in removed:
            logger.info("evicted image %s", reference)
        return removed
