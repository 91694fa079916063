"""The sandbox policy (docs/architecture.md, "Sandbox policy") as one pure function.

:func:`container_kwargs` turns the run's limits, its mounts and the worker configuration into
the keyword arguments of ``docker.containers.create``. Nothing else in the worker decides how
a participant's container is confined, so the policy can be read and tested in one place; the
docs' ``docker run`` equivalent is printed from it (:mod:`compute_worker.docker_cli`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from docker.types import DeviceRequest, LogConfig, Mount, Ulimit

from . import protocol
from .config import WorkerConfig

MB = 1 << 20
#: /tmp is a tmpfs of at most this size (and never more than the memory limit: tmpfs pages
#: are charged to the container's memory cgroup).
TMP_MAX_BYTES = 256 * MB
#: Docker keeps at most this much of a container's log on disk (json-file driver); the worker
#: reads the stream and keeps its own head+tail cap.
DOCKER_LOG_MAX_SIZE = "20m"
#: Open files per process.
NOFILE = 4096

#: gVisor (runsc) runs its Sentry and Gofer as host threads inside the container's pids
#: cgroup; with a pids limit of 64 or 256 the sandbox cannot even start (exit code 2, no
#: message). Under runsc the cgroup limit is therefore raised to at least this floor (or
#: :data:`RUNSC_PIDS_PER_PID` host tasks per phase pid). With the (default) ptrace platform every
#: sandboxed process also needs a host stub process in that cgroup: a fork bomb reaching the
#: cgroup limit makes the Sentry panic ("creating stub process: resource temporarily
#: unavailable", exit code 2). The phase's limit is therefore enforced inside gVisor by its own
#: kernel as ``RLIMIT_NPROC`` (see :func:`container_kwargs`): forks and threads past it fail
#: with EAGAIN, as under runc. Measured here: a fork bomb held at RLIMIT_NPROC 64 still made the
#: Sentry panic with a host cgroup of 832 or 2048 and was contained (EAGAIN until the time
#: limit) with 4096, for RLIMIT_NPROC up to 256; hence the floor and 16 host tasks per phase pid.
RUNSC_PIDS_FLOOR = 4096
RUNSC_PIDS_PER_PID = 16

LABEL_SUBMISSION = "evalbox.submission"
LABEL_WORKER = "evalbox.worker"
LABEL_ROLE = "evalbox.role"
ROLES = ("participant", "scoring")


@dataclass(frozen=True)
class BindMount:
    """A host directory mounted into the container."""

    source: str
    target: str
    read_only: bool = True


def effective_pids_limit(pids: int, runtime: str) -> int:
    """The cgroup pids limit to apply for a phase limit of ``pids`` under ``runtime``."""
    if runtime == "runsc":
        return max(RUNSC_PIDS_FLOOR, pids * RUNSC_PIDS_PER_PID)
    return pids


def _check_mounts(mounts: list[BindMount]) -> None:
    targets = [m.target for m in mounts]
    if len(set(targets)) != len(targets) or not all(t.startswith("/mnt/") for t in targets):
        raise ValueError(f"mounts must have distinct targets under /mnt: {targets}")


def _ulimits(limits: protocol.Limits, runtime: str) -> list[Ulimit]:
    output_cap = limits.output_max_mb * MB
    ulimits = [
        Ulimit(name="nofile", soft=NOFILE, hard=NOFILE),
        Ulimit(name="core", soft=0, hard=0),
        # No single file larger than the output cap (SIGXFSZ / EFBIG past it).
        Ulimit(name="fsize", soft=output_cap, hard=output_cap),
    ]
    if runtime == "runsc":
        # gVisor's kernel counts the sandbox's own tasks (processes and threads) against
        # RLIMIT_NPROC. Not under runc: there the limit would count every process of the
        # sandbox uid on the host, across concurrent containers; the pids cgroup does the job.
        ulimits.append(Ulimit(name="nproc", soft=limits.pids, hard=limits.pids))
    return ulimits


def _gpu_requests(count: int, gpu_ids: list[str] | None) -> list[DeviceRequest]:
    ids = list(gpu_ids or [])
    if len(ids) < count:
        raise ValueError(f"the phase asks for {count} GPU(s) but the slot holds {len(ids)}")
    return [DeviceRequest(driver="nvidia", device_ids=ids[:count], capabilities=[["gpu"]])]


def container_kwargs(
    limits: protocol.Limits,
    *,
    image: str,
    mounts: list[BindMount],
    config: WorkerConfig,
    submission_id: int,
    role: str,
    gpu_ids: list[str] | None = None,
) -> dict[str, Any]:
    """The ``containers.create`` keyword arguments of a sandboxed run.

    ``gpu_ids`` are this task's GPU slot ids; GPUs are requested only for a participant
    container of a phase that asks (``limits.gpus > 0``), and only for those ids: the scorer
    never gets one.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    _check_mounts(mounts)
    memory = limits.memory_mb * MB
    kwargs: dict[str, Any] = {
        "image": image,
        "detach": True,
        "network_mode": "none",
        "user": config.sandbox_user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "privileged": False,
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={min(memory, TMP_MAX_BYTES)},mode=1777"},
        "environment": {"HOME": "/tmp"},
        "mounts": [Mount(target=m.target, source=m.source, type="bind", read_only=m.read_only) for m in mounts],
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": effective_pids_limit(limits.pids, config.runtime),
        "ipc_mode": "private",
        "hostname": "sandbox",
        "labels": {LABEL_SUBMISSION: str(submission_id), LABEL_WORKER: config.worker_id, LABEL_ROLE: role},
        "runtime": config.runtime,
        "ulimits": _ulimits(limits, config.runtime),
        "log_config": LogConfig(type="json-file", config={"max-size": DOCKER_LOG_MAX_SIZE, "max-file": "1"}),
    }
    if role == "participant" and limits.gpus > 0:
        kwargs["device_requests"] = _gpu_requests(limits.gpus, gpu_ids)
    return kwargs
