"""Resource attacks: processes, memory, CPU, time, signals, daemons, log volume and content."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.attack_images import attack_image, with_labels
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker

#: A marker in a daemon's command line, looked for among the host's processes afterwards.
DAEMON_MARKER = "314159"


def host_processes_with(marker: str) -> list[str]:
    """Command lines of the host's processes containing ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "pytest" not in cmdline:
                found.append(cmdline)
    return found


def assert_stopped_promptly(battery: Battery, limit_s: float, grace_s: float = 5) -> None:
    """The run ended within ``grace_s`` seconds of its time limit and its containers are gone."""
    assert battery.last_elapsed_s < limit_s + grace_s, battery.last_elapsed_s
    assert battery.leftovers() == ([], [])


def test_fork_bomb_is_contained(battery: Battery) -> None:
    # PID 1 forks once, before the bomb, then spins without forking: the run ends at the time limit.
    image = attack_image("fork-bomb", """
echo start
bomb() { bomb | bomb & }
( bomb ) &
while :; do :; done
""")
    result = battery.submit(image, limits={"pids": 64, "time_limit_s": 3})
    assert result["failure_reason"] == "time_limit", result
    assert "time limit of 3 s" in result["failure_message"]
    # Forks failed at the limit: the pids cgroup under runc; gVisor's own RLIMIT_NPROC under
    # runsc (without it the host cgroup fills with gVisor stub processes and the Sentry panics).
    assert "can't fork" in result["participant_log"], result["participant_log"][:2000]
    assert_stopped_promptly(battery, 3)


def test_many_threads_are_bounded(battery: Battery) -> None:
    image = attack_image("threads", "probe threads 10000\necho 42 > /mnt/out/predictions.txt\n")
    result = battery.submit(image, limits={"pids": 64})
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "created, then Resource temporarily unavailable" in log, log
    created = int(log.split("threads: ")[1].split()[0])
    assert 32 <= created < 64, log


def test_memory_balloon_is_out_of_memory(battery: Battery) -> None:
    # `tail` keeps a whole line in memory: one 1 GB line without newlines balloons.
    image = attack_image("balloon", "head -c 1000m /dev/zero | tail -n 1 >/dev/null\necho survived\n")
    result = battery.submit(image, limits={"memory_mb": 48, "time_limit_s": 10})
    assert result["failure_reason"] == "out_of_memory", result
    assert "ran out of memory (limit 48 MB)" in result["failure_message"]


@pytest.mark.parametrize("script", [
    "echo spin; while :; do :; done\n",
    "echo sleeping; sleep 2147483647\n",
    "trap '' TERM INT HUP QUIT; echo ignoring; while :; do sleep 1; done\n",
], ids=["cpu-spin", "sleep-forever", "ignore-sigterm"])
def test_time_limit_stops_it(battery: Battery, script: str) -> None:
    result = battery.submit(attack_image("time", script), limits={"time_limit_s": 2})
    assert result["failure_reason"] == "time_limit", result
    assert "longer than the time limit of 2 s and was stopped" in result["failure_message"]
    assert result["participant_log"].split()[0] in ("spin", "sleeping", "ignoring")
    assert_stopped_promptly(battery, 2)


def test_daemon_does_not_outlive_pid1(battery: Battery) -> None:
    image = attack_image("daemon", f"""
setsid sh -c 'trap "" TERM HUP; while :; do sleep {DAEMON_MARKER}; done' </dev/null >/dev/null 2>&1 &
( trap "" HUP; while :; do echo alive >> /mnt/out/daemon.log; sleep 0.2; done ) &
sleep 0.5
echo 42 > /mnt/out/predictions.txt
echo "pid1 exits"
""")
    result = battery.submit(image, limits={"time_limit_s": 10})
    assert result["status"] == "FINISHED", result  # PID 1's exit ended the run ...
    assert battery.last_elapsed_s < 8, battery.last_elapsed_s  # ... without waiting for the daemons
    assert host_processes_with(f"sleep {DAEMON_MARKER}") == []  # ... which died with it


def test_stdout_flood_is_capped_and_worker_memory_bounded(battery: Battery) -> None:
    # 1 GB of stdout: Docker writes its log at a few MB/s here, so the time limit ends it; the
    # worker keeps a 16 KB head+tail and Docker at most 20 MB on disk.
    image = attack_image("flood", "echo FIRST-LINE; yes 'flood flood flood flood' | head -c 1000000000\n")
    rss = [_rss_bytes()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss.append(_rss_bytes())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = battery.submit(image, limits={"time_limit_s": 3, "log_max_kb": 16})
    finally:
        stop.set()
        sampler.join()
    assert result["failure_reason"] == "time_limit", result
    log = result["participant_log"]
    assert log.startswith("FIRST-LINE\nflood flood"), log[:100]
    assert "bytes of log omitted by evalbox" in log
    assert len(log) < 16 * 1024 + 100
    growth = max(rss) - rss[0]
    assert growth < 64 << 20, f"worker RSS grew by {growth >> 20} MB"
    # Docker writes the flood to its json-file log at a few MB/s and the kill waits for it.
    assert_stopped_promptly(battery, 3, grace_s=10)


def _rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_binary_garbage_and_long_lines_in_logs(battery: Battery) -> None:
    image = attack_image("garbage", """
echo FIRST
head -c 20000 /dev/urandom
printf '\\000\\033[2J\\033]0;title\\007\\r\\n'
head -c 3000000 /dev/zero | tr '\\0' 'a'
echo
echo LAST
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image, limits={"log_max_kb": 16})
    assert result["status"] == "FINISHED", result  # the site received valid JSON
    log = result["participant_log"]
    assert log.startswith("FIRST\n") and log.rstrip().endswith("LAST"), (log[:50], log[-50:])
    assert "\x00" not in log and "bytes of log omitted by evalbox" in log
    assert len(log.encode()) < 3 * 16 * 1024  # replacement characters take up to 3 bytes


def test_huge_image_labels_are_bounded(battery: Battery) -> None:
    # Labels are reported with the result: 100 labels of 330 KB made a 33 MB result body, more
    # than the site accepts (32 MB: 413), and the submission was left without a result.
    labels = {f"label{i}": "x" * 330_000 for i in range(100)}
    image = with_labels(attack_image("labels", "echo 42 > /mnt/out/predictions.txt\n"), labels)
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    assert len(result["image_labels"]) == 100
    assert all(len(value) <= 1000 for value in result["image_labels"].values())
