"""Worker footprint: resident memory of the compute worker's process tree, idle and during a run.

RSS is the sum of ``VmRSS`` over the worker's processes (``/proc``): the default one process at
concurrency 1, judged against the target, and the prefork pool's main process and child
(``EVALBOX_POOL=prefork``) beside it. Side by side, the same figures for a plain Python process
that runs the same containers with the Docker SDK (the baseline of :class:`bench.common.RawPair`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from . import common

#: The participant of this benchmark sleeps, so that memory is sampled while a container runs.
SLEEP_SCRIPT = "sleep 2\n"
#: Issue 16: an idle worker at concurrency 1 holds at most this much (RSS of its process tree).
TARGET_IDLE_MIB = 70.0


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid``'s process tree, in bytes."""
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class Sampler:
    """Samples a process tree's RSS every 20 ms in a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def plain_runner(participant: str, scorer: str, count: int, workdir: str) -> None:
    """The baseline process: wait for a line on stdin, then run the raw pair ``count`` times."""
    import docker

    client = docker.from_env()
    images = common.Images(participant, scorer, client.images.get(participant).id, client.images.get(scorer).id)
    client.close()
    pair = common.RawPair(images, Path(workdir))
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(count):
        pair.run()
    pair.close()


def mb(values: list[int]) -> dict[str, Any]:
    """A summary in MiB."""
    return common.summary([value / (1 << 20) for value in values], 1)


def _worker(site: common.Site, setup: Any, http: Any, images: common.Images, sleeper: str, data_dir: Path,
            runs: int, env: dict[str, str]) -> tuple[int, list[int], list[int]]:
    """(processes, idle RSS samples, peak RSS of each run) of a worker started with ``env``."""
    with common.worker(site, data_dir, env=env) as process:
        pid = process.process.pid
        common.wait_final([common.submit(site, http, setup, images.participant)])  # warm: the job's imports
        idle = []
        for _ in range(10):
            idle.append(rss_bytes(pid))
            time.sleep(0.1)
        peaks = []
        for _ in range(runs):
            with Sampler(pid) as sampler:
                common.wait_final([common.submit(site, http, setup, sleeper)])
            peaks.append(sampler.peak)
        return len(tree(pid)), idle, peaks


def run(site: common.Site, images: common.Images, work: Path, *, repeats: int) -> dict[str, Any]:
    """Measure; return the results."""
    from tests.helpers.docker_images import busybox_script_image

    sleeper = busybox_script_image("bench-sleep", SLEEP_SCRIPT)
    setup = common.make_competition(site, images.scorer, name="footprint")
    http = common.session(setup.tokens[0])
    runs = max(3, repeats // 3)
    result: dict[str, Any] = {"runs": runs}
    for key, env in (("worker", {}), ("prefork", {"EVALBOX_POOL": "prefork"})):
        processes, idle, peaks = _worker(site, setup, http, images, sleeper, work / f"workers-{key}", runs, env)
        result[f"{key}_processes"] = processes
        result[f"{key}_idle_mib"], result[f"{key}_run_peak_mib"] = mb(idle), mb(peaks)
        if key == "worker":
            worker_idle_mib = statistics.median(idle) / (1 << 20)  # unrounded: never rounded into a pass
    command = [sys.executable, "-c", "import sys; from bench.footprint import plain_runner; "
               "plain_runner(*sys.argv[1:3], int(sys.argv[3]), sys.argv[4])",
               sleeper, images.scorer, str(runs), str(work / "plain")]
    plain = subprocess.Popen(command, cwd=common.ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert plain.stdout is not None and plain.stdin is not None
        plain.stdout.readline()
        idle = []
        for _ in range(10):
            idle.append(rss_bytes(plain.pid))
            time.sleep(0.1)
        with Sampler(plain.pid) as sampler:
            plain.stdin.write("go\n")
            plain.stdin.flush()
            plain.wait(runs * 60)
        result["plain_idle_mib"], result["plain_run_peak_mib"] = mb(idle), mb([sampler.peak])
    finally:
        if plain.poll() is None:
            plain.kill()
    result["missed"] = [] if worker_idle_mib <= TARGET_IDLE_MIB else [
        f"an idle worker holds {worker_idle_mib:.1f} MiB (target <= {TARGET_IDLE_MIB:.0f} MiB)"]
    return result


def report(result: dict[str, Any]) -> str:
    """The result as text."""
    return "\n".join([
        f"Worker footprint (RSS of the process tree; peak over {result['runs']} runs)",
        f"  evalbox worker, default ({result['worker_processes']} process(es)): idle "
        f"{common.fmt(result['worker_idle_mib'], ' MiB', 1)}, during a run "
        f"{common.fmt(result['worker_run_peak_mib'], ' MiB', 1)}",
        f"  evalbox worker, EVALBOX_POOL=prefork ({result['prefork_processes']} processes): idle "
        f"{common.fmt(result['prefork_idle_mib'], ' MiB', 1)}, during a run "
        f"{common.fmt(result['prefork_run_peak_mib'], ' MiB', 1)}",
        f"  plain Docker SDK script: idle {common.fmt(result['plain_idle_mib'], ' MiB', 1)}, "
        f"during a run {common.fmt(result['plain_run_peak_mib'], ' MiB', 1)}",
        f"  idle target <= {TARGET_IDLE_MIB:.0f} MiB: {'MISSED' if result['missed'] else 'met'}",
    ])
