"""``python -m compute_worker sandbox-command``: print the ``docker run`` line the worker's sandbox amounts to.

The options are the phase's limits (:class:`protocol.Limits`, same names and defaults), the
worker's sandbox user and runtime (defaults of :class:`WorkerConfig`), the container's role and
its bind mounts. The line is :func:`docker_cli.docker_run_command` of
:func:`sandbox.container_kwargs` for those values, so it is exactly what the worker runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import sandbox
from .config import RUNTIMES, WorkerConfig
from .docker_cli import docker_run_command
from .protocol.limit_options import add_limit_arguments, limits_from

#: The bind mounts of each role when none is given: folders of the current directory.
DEFAULT_BINDS = {
    "participant": ["$PWD/in:/mnt/in:ro", "$PWD/out:/mnt/out"],
    "scoring": ["$PWD/out:/mnt/predictions:ro", "$PWD/reference:/mnt/reference:ro", "$PWD/scores:/mnt/out"],
}
#: Limits the worker enforces itself: they change nothing in the ``docker run`` line.
WORKER_ENFORCED = {"time_limit_s": "the worker stops the container", "log_max_kb": "the worker cuts the log"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sub-command's options."""
    defaults = WorkerConfig()
    add_limit_arguments(parser, {name: f"{why}: not in the line" for name, why in WORKER_ENFORCED.items()})
    parser.add_argument("--runtime", choices=RUNTIMES, default=defaults.runtime,
                        help="container runtime (default %(default)s)")
    parser.add_argument("--user", default=defaults.sandbox_user, help="sandbox uid:gid (default %(default)s)")
    parser.add_argument("--role", choices=sandbox.ROLES, default="participant",
                        help="participant image or scoring image (default %(default)s)")
    parser.add_argument("--bind", action="append", metavar="SOURCE:TARGET[:ro]",
                        help="a bind mount, repeatable; a $VAR in SOURCE is left to the shell "
                             "(default per role: " + "; ".join(f"{r}: {' '.join(b)}" for r, b in DEFAULT_BINDS.items())
                             + ")")
    parser.add_argument("--gpu-ids", help="comma list of the GPU ids of the slot (default 0..gpus-1)")
    parser.add_argument("--image", default="YOUR-IMAGE:TAG", help="the image (default %(default)s)")


def _bind(text: str) -> sandbox.BindMount:
    read_only = text.endswith(":ro")
    source, _, target = text.removesuffix(":ro").rpartition(":")
    if not source or not target:
        raise ValueError(f"--bind {text!r} is not SOURCE:TARGET[:ro]")
    return sandbox.BindMount(source, target, read_only)


def container_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The sandbox's ``containers.create`` kwargs for the parsed options; ``ValueError`` if they are invalid."""
    limits = limits_from(args)
    config = WorkerConfig.from_env({"EVALBOX_SANDBOX_UID": args.user, "EVALBOX_RUNTIME": args.runtime,
                                    "EVALBOX_WORKER_ID": "sandbox-command"})
    gpu_ids = args.gpu_ids.split(",") if args.gpu_ids else [str(i) for i in range(limits.gpus)]
    mounts = [_bind(text) for text in args.bind or DEFAULT_BINDS[args.role]]
    return sandbox.container_kwargs(limits, image=args.image, mounts=mounts, config=config, submission_id=1,
                                    role=args.role, gpu_ids=gpu_ids)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Print the ``docker run`` line; invalid options end in a usage error."""
    try:
        kwargs = container_kwargs(args)
    except ValueError as exc:  # ProtocolError and ConfigError among them
        parser.error(str(exc))
    print(docker_run_command(kwargs))
    return 0
