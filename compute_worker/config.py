"""Worker configuration from environment variables (12-factor), with safe defaults.

Every variable is validated when the configuration is built; a bad value raises
:class:`ConfigError` whose message names the variable and what it expects.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .protocol import transport

PULL_POLICIES = ("always", "if-not-present", "never")
RUNTIMES = ("runc", "runsc")
#: Celery pools the worker runs on (``EVALBOX_POOL``); ``auto`` chooses by concurrency (:meth:`WorkerConfig.pool_for`).
POOLS = ("auto", "prefork", "threads")


class ConfigError(ValueError):
    """A configuration value is invalid; the message is meant for the operator."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer (expected {minimum}..{maximum}).") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range (expected {minimum}..{maximum}).")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float, maximum: float) -> float:
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number (expected {minimum}..{maximum}).") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name}={value} is out of range (expected {minimum}..{maximum}).")
    return value


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def _readable_file(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if value and not os.access(value, os.R_OK):
        raise ConfigError(f"{name}={value!r}: no such readable file.")
    return value


def _uid_gid(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    parts = value.split(":")
    if len(parts) == 1:
        parts.append(parts[0])
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ConfigError(f"{name}={value!r} must be numeric 'uid:gid' (for example 65534:65534).")
    uid, gid = int(parts[0]), int(parts[1])
    if uid == 0 or gid == 0:
        raise ConfigError(f"{name}={value!r}: the sandbox user must not be root (uid or gid 0).")
    if uid > 2**31 or gid > 2**31:
        raise ConfigError(f"{name}={value!r}: uid/gid out of range.")
    return f"{uid}:{gid}"


@dataclass(frozen=True)
class WorkerConfig:
    """The effective worker configuration (see :meth:`from_env` for the variables)."""

    broker_url: str = "filesystem://"
    broker_dir: str = "var/broker"
    site_url: str = ""
    queues: tuple[str, ...] = (transport.DEFAULT_QUEUE,)
    concurrency: int = 1
    pool: str = "auto"
    gpus: tuple[str, ...] = ()
    data_cache_dir: str = "var/worker/cache"
    data_cache_mb: int = 10240
    work_dir: str = "var/worker/work"
    pull_policy: str = "if-not-present"
    allowed_registries: tuple[str, ...] = ()
    sandbox_user: str = "65534:65534"
    runtime: str = "runc"
    max_image_mb: int = 20480
    worker_id: str = field(default_factory=socket.gethostname)
    heartbeat_s: float = 5.0
    log_flush_s: float = 2.0
    report_retry_s: float = 120.0
    report_retries: int = 8
    archive_max_mb: int = 20480
    archive_max_files: int = 200_000
    slot_dir: str = "var/worker/slots"
    pull_timeout_s: float = 900.0
    image_cache_dir: str = "var/worker/images"
    image_cache_mb: int = 51200
    registry_auth_file: str = ""
    insecure_registries: tuple[str, ...] = ()
    #: Registries pulled from even at an internal address (:mod:`compute_worker.registry_guard`).
    trusted_registries: tuple[str, ...] = ()
    #: Whether registries are checked at all (``evalbox try`` on a participant's own machine does not).
    registry_guard: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerConfig:
        """Build the configuration from ``CELERY_BROKER_URL`` and the ``EVALBOX_*`` environment variables.

        ``docs/workers.md`` ("Configuration") lists each variable with its default and meaning.
        """
        env = os.environ if env is None else env
        gpus = _list(env, "EVALBOX_GPUS")
        for gpu in gpus:
            if not gpu.replace("-", "").isalnum():
                raise ConfigError(f"EVALBOX_GPUS: {gpu!r} is not a GPU id (use indexes like 0,1 or UUIDs).")
        queues = _list(env, "EVALBOX_QUEUES", (transport.DEFAULT_QUEUE,))
        for queue in queues:
            if not all(c.isalnum() or c in "-_.:" for c in queue):
                raise ConfigError(f"EVALBOX_QUEUES: {queue!r} is not a valid queue name.")
        worker_id = env.get("EVALBOX_WORKER_ID", "").strip() or socket.gethostname()
        if not all(c.isalnum() or c in "-_.@" for c in worker_id) or len(worker_id) > 200:
            raise ConfigError(f"EVALBOX_WORKER_ID={worker_id!r} may contain only letters, digits and -_.@")
        data_dir = env.get("EVALBOX_DATA_DIR", "").strip() or "var/worker"
        return cls(
            broker_url=env.get("CELERY_BROKER_URL", "").strip() or "filesystem://",
            broker_dir=env.get("EVALBOX_BROKER_DIR", "").strip() or "var/broker",
            site_url=env.get("EVALBOX_SITE_URL", "").strip(),
            queues=queues,
            concurrency=_int(env, "EVALBOX_CONCURRENCY", max(1, len(gpus)), 1, 256),
            pool=_choice(env, "EVALBOX_POOL", "auto", POOLS),
            gpus=gpus,
            data_cache_dir=env.get("EVALBOX_DATA_CACHE_DIR", "").strip() or f"{data_dir}/cache",
            data_cache_mb=_int(env, "EVALBOX_DATA_CACHE_MB", 10240, 1, 2**31),
            work_dir=env.get("EVALBOX_WORK_DIR", "").strip() or f"{data_dir}/work",
            pull_policy=_choice(env, "EVALBOX_PULL_POLICY", "if-not-present", PULL_POLICIES),
            allowed_registries=tuple(r.lower() for r in _list(env, "EVALBOX_ALLOWED_REGISTRIES")),
            sandbox_user=_uid_gid(env, "EVALBOX_SANDBOX_UID", "65534:65534"),
            runtime=_choice(env, "EVALBOX_RUNTIME", "runc", RUNTIMES),
            max_image_mb=_int(env, "EVALBOX_MAX_IMAGE_MB", 20480, 1, 2**31),
            worker_id=worker_id,
            heartbeat_s=_float(env, "EVALBOX_HEARTBEAT_S", 5.0, 0.1, 3600),
            log_flush_s=_float(env, "EVALBOX_LOG_FLUSH_S", 2.0, 0.1, 3600),
            report_retry_s=_float(env, "EVALBOX_REPORT_RETRY_S", 120.0, 0, 86400),
            report_retries=_int(env, "EVALBOX_REPORT_RETRIES", 8, 0, 100),
            archive_max_mb=_int(env, "EVALBOX_ARCHIVE_MAX_MB", 20480, 1, 2**31),
            archive_max_files=_int(env, "EVALBOX_ARCHIVE_MAX_FILES", 200_000, 1, 2**31),
            slot_dir=env.get("EVALBOX_SLOT_DIR", "").strip() or f"{data_dir}/slots",
            pull_timeout_s=_float(env, "EVALBOX_PULL_TIMEOUT_S", 900.0, 1, 86400),
            image_cache_dir=env.get("EVALBOX_IMAGE_CACHE_DIR", "").strip() or f"{data_dir}/images",
            image_cache_mb=_int(env, "EVALBOX_IMAGE_CACHE_MB", 51200, 1, 2**31),
            registry_auth_file=_readable_file(env, "EVALBOX_REGISTRY_AUTH_FILE"),
            insecure_registries=tuple(r.lower() for r in _list(env, "EVALBOX_INSECURE_REGISTRIES")),
            trusted_registries=tuple(r.lower() for r in _list(env, "EVALBOX_TRUSTED_REGISTRIES")),
        )

    def pool_for(self, concurrency: int) -> str:
        """The Celery pool the worker runs ``concurrency`` jobs at a time on.

        ``auto`` runs one job at a time in a thread of the worker's one process (about half the
        memory of a prefork pool's two processes: ``bench footprint``) and several jobs in prefork
        processes, so that a job killing its process (the kernel's OOM killer, a crash) takes no
        other job's run with it and the main process lives on (``docs/reliability.md``).
        """
        if self.pool != "auto":
            return self.pool
        return "threads" if concurrency == 1 else "prefork"

    @property
    def celery_pool(self) -> str:
        """The pool for :attr:`concurrency` (:meth:`pool_for`)."""
        return self.pool_for(self.concurrency)

    def describe(self) -> dict[str, Any]:
        """The configuration for display, with any password in the broker URL masked."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["broker_url"] = mask_url(self.broker_url)
        data["celery_pool"] = self.celery_pool
        return data


def mask_url(url: str) -> str:
    """``scheme://user:****@host`` for URLs with a password."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:****@{host}"
