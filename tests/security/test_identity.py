"""Identity and privilege attacks: root, setuid, capabilities, kernel interfaces, worker secrets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.attack_images import attack_image
from tests.helpers.battery import Battery

pytestmark = pytest.mark.docker

#: Files whose write would matter on the host (the value written is the file's own, so even a
#: successful write would change nothing). ``core_pattern`` is the classic escape.
KERNEL_FILES = ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/panic", "/proc/sys/vm/overcommit_memory",
                "/sys/fs/cgroup/pids/pids.max", "/sys/kernel/mm/transparent_hugepage/defrag")


#: What succeeds inside the sandbox, by design, per runtime. Under gVisor these act on the
#: Sentry's own kernel objects, never on the host's: device nodes on its /tmp tmpfs name its
#: emulated devices (if any), and a user namespace (with the mount and network namespaces
#: created inside it, in that order by the probe) is its bookkeeping; the attempts before it
#: (modules, clock, mounts, chroot...) fail.
ALLOWED_INSIDE: dict[str, tuple[str, ...]] = {
    "runc": (),
    "runsc": ("mknod-char", "mknod-block", "unshare-user", "unshare-mount", "unshare-net"),
}


def lines_starting(log: str, prefix: str) -> list[str]:
    """The log's lines that start with ``prefix``."""
    return [line for line in log.splitlines() if line.startswith(prefix)]


def test_not_root_and_setuid_does_not_elevate(battery: Battery) -> None:
    image = attack_image("identity", """
id
probe ids
ls -ln /bin/suid-probe
suid-probe ids | sed 's/^/suid-/'
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status
touch /tmp/mine
chown 65534:65534 /tmp/mine && echo "chown-own: ok"
out=$(chown 0:0 /tmp/mine 2>&1); echo "chown-root: rc=$? $out"
out=$(chmod 4755 /tmp/mine 2>&1); echo "chmod-setuid-own: rc=$?"
out=$(su -c id root </dev/null 2>&1); echo "su: rc=$? $out"
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "ids: uid=65534 euid=65534 gid=65534 egid=65534" in log, log
    assert "-rwsr-xr-x    1 0        0" in log, log  # the setuid-root binary is there ...
    assert "suid-ids: uid=65534 euid=65534" in log, log  # ... and does not elevate (no-new-privileges)
    assert "setuid0: EPERM" in log and "suid-setuid0: EPERM" in log and "setgid0: EPERM" in log, log
    # gVisor's /proc/self/status has no CapAmb and NoNewPrivs lines.
    for capability in ("CapPrm", "CapEff", "CapBnd") + (("CapAmb", "NoNewPrivs") if battery.runtime == "runc" else ()):
        line = lines_starting(log, capability + ":")
        assert line and line[0].endswith("0000000000000000" if capability.startswith("Cap") else "1"), log
    assert "chown-own: ok" in log and "chown-root: rc=1" in log, log
    assert "su: rc=0" not in log, log


def test_privileged_system_calls_fail(battery: Battery) -> None:
    image = attack_image("kernel", """
probe kernel
probe system
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    attempts = ("init-module", "finit-module", "delete-module", "keyctl", "add-key", "bpf", "perf-event-open",
                "iopl", "swapoff", "open-by-handle-at", "clock-settime", "settimeofday", "sethostname",
                "mount-tmpfs", "remount-root-rw", "umount-mnt-in", "chroot", "mknod-char", "mknod-block",
                "unshare-mount", "unshare-net")
    outcomes = {attempt: lines_starting(log, attempt + ": ") for attempt in attempts + ("unshare-user",)}
    assert all(len(lines) == 1 for lines in outcomes.values()), log
    succeeded = sorted(attempt for attempt, (line,) in outcomes.items() if line.endswith(": ok"))
    assert succeeded == sorted(ALLOWED_INSIDE[battery.runtime]), log


def test_proc_sys_and_kernel_files_are_not_writable(battery: Battery) -> None:
    before = {path: Path(path).read_text() for path in KERNEL_FILES if os.access(path, os.R_OK)}
    writes = "\n".join(f'v=$(cat {path} 2>/dev/null); out=$( (echo "$v" > {path}) 2>&1); echo "write {path}: rc=$?"'
                       for path in KERNEL_FILES)
    image = attack_image("proc-sys", f"""
{writes}
out=$(sysctl -w kernel.panic=0 2>&1); echo "sysctl: rc=$?"
echo "kcore-bytes: $(head -c 4096 /proc/kcore 2>/dev/null | wc -c)"
echo "dmesg: $(dmesg 2>&1 | head -c 60 | wc -c) $(dmesg >/dev/null 2>&1; echo rc=$?)"
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    for path in KERNEL_FILES:
        (line,) = lines_starting(log, f"write {path}: ")
        assert line != f"write {path}: rc=0", log
    assert "sysctl: rc=0" not in log, log
    assert "kcore-bytes: 0" in log, log
    if battery.runtime == "runc":
        assert "rc=0" not in lines_starting(log, "dmesg: ")[0], log  # syslog() needs CAP_SYSLOG
    # gVisor's dmesg is its own made-up boot log ("Starting gVisor..."), not the host's.
    assert {path: Path(path).read_text() for path in before} == before


def test_no_worker_secrets_and_no_docker_socket(battery: Battery, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"CELERY_BROKER_URL": "amqp://guest:broker-canary-7d1f@127.0.0.1:5672//",
               "EVALBOX_SITE_URL": "http://127.0.0.1:9/site-canary-52ab",
               "EVALBOX_WORKER_SECRET": "worker-canary-93c4"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    image = attack_image("secrets", """
echo "pid1-environ: $(tr '\\0' ' ' < /proc/1/environ)"
for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done 2>/dev/null | sort -u
env
echo "processes: $(ls -d /proc/[0-9]* | wc -l)"
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; echo
for s in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock /var/run/docker; do
  [ -e "$s" ] && echo "FOUND $s"
done
echo "sockets: $(find / -xdev -type s 2>/dev/null | tr '\\n' ' ')"
grep -r -l -s "broker-canary" /etc /tmp /mnt /run 2>/dev/null
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    assert "pid1-environ: " in log and "HOME=/tmp" in log, log
    assert battery.site.token not in log
    for name, value in secrets.items():
        assert value not in log and name not in log, (name, log)
    assert "CELERY_" not in log and "EVALBOX_" not in log and "TOKEN" not in log.upper(), log
    assert "FOUND" not in log and "sockets: \n" in log, log
    # Only the sandbox's own processes are visible (its pid namespace): no worker, no dockerd.
    count = int(lines_starting(log, "processes: ")[0].split()[1])
    assert 1 <= count <= 8, log
    assert "dockerd" not in log and "pytest" not in log and "celery" not in log, log


def test_host_processes_are_out_of_reach(battery: Battery) -> None:
    worker_pid = os.getpid()
    image = attack_image("host-pid", f"""
probe host-pid {worker_pid}
kill -0 1 && echo "own-pid1: reachable"
echo 42 > /mnt/out/predictions.txt
""")
    result = battery.submit(image)
    assert result["status"] == "FINISHED", result
    log = result["participant_log"]
    for attempt in ("kill-host-pid", "ptrace-host-pid"):
        assert f"{attempt}: ESRCH" in log, log  # the worker's pid does not exist in the sandbox
    # process_vm_readv: refused outright (EPERM by Docker's seccomp profile; ENOSYS in gVisor).
    assert "vm-read-host-pid: E" in log, log
    # PID 1 is the sandbox's own shell (same uid): reachable, and nothing else is.
    assert "own-pid1: reachable" in log, log
