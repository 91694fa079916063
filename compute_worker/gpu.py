"""GPU slots: each running task holds GPU ids exclusively, across worker processes.

A slot is a lock file ``<slot_dir>/gpu-<id>.lock`` held with ``flock``; the lock disappears
with the process that holds it, so a killed worker never leaks a GPU.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

GPU_RUNTIMES = ("nvidia",)


class GpuUnavailable(RuntimeError):
    """The phase asks for GPUs this worker cannot provide; the message says why."""


def gpu_runtime_present(docker_info: dict[str, Any]) -> bool:
    """Whether ``docker info`` lists an NVIDIA runtime (the container toolkit)."""
    runtimes = docker_info.get("Runtimes") or {}
    return any(name in runtimes for name in GPU_RUNTIMES)


@contextlib.contextmanager
def gpu_slot(count: int, gpu_ids: Sequence[str], slot_dir: str | os.PathLike[str], *,
             runtime_present: bool, wait_s: float = 3600.0, poll_s: float = 0.2) -> Iterator[list[str]]:
    """Hold ``count`` GPU ids from ``gpu_ids`` for the duration of the block; yields the ids.

    ``count == 0`` yields ``[]`` without locking. Raises :class:`GpuUnavailable` when the
    worker has no GPU runtime, fewer GPUs than asked, or none free within ``wait_s``.
    """
    if count <= 0:
        yield []
        return
    if not gpu_ids:
        raise GpuUnavailable(f"The phase asks for {count} GPU(s) but this worker has none configured (EVALBOX_GPUS).")
    if not runtime_present:
        raise GpuUnavailable(f"The phase asks for {count} GPU(s) but the Docker engine of this worker has no NVIDIA "
                             "runtime (install the NVIDIA container toolkit).")
    if count > len(gpu_ids):
        raise GpuUnavailable(f"The phase asks for {count} GPU(s) but this worker has only {len(gpu_ids)}.")
    directory = Path(slot_dir)
    directory.mkdir(parents=True, exist_ok=True)
    held: list[tuple[str, int]] = []
    deadline = time.monotonic() + wait_s
    try:
        while True:
            for gpu in gpu_ids:
                if len(held) == count:
                    break
                if any(gpu == g for g, _ in held):
                    continue
                fd = os.open(directory / f"gpu-{gpu}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                held.append((gpu, fd))
            if len(held) == count:
                break
            # Release partial holdings so two tasks each asking for 2 GPUs never deadlock.
            for _, fd in held:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            held.clear()
            if time.monotonic() > deadline:
                raise GpuUnavailable(f"No free GPU on this worker within {wait_s:.0f} s.")
            time.sleep(poll_s)
        yield [gpu for gpu, _ in held]
    finally:
        for _, fd in held:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
