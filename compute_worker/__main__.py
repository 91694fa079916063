"""``python -m compute_worker --check`` and ``... sandbox-command`` (also the ``compute_worker`` console script).

``--check`` prints whether the Docker engine is reachable (and its version), whether a GPU
runtime is present (and, with GPUs configured, NVML's binding for the GPU metrics), the
container runtimes, and the effective configuration (no secrets);
it exits non-zero with a clear message when something required is missing.
``sandbox-command`` prints the ``docker run`` line of the sandbox (:mod:`.sandbox_command`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any

from . import gpu, sandbox_command
from .config import ConfigError, WorkerConfig


def check(out: Any = sys.stdout) -> int:
    """Run the checks, print a report to ``out`` and return the exit status."""
    problems: list[str] = []
    try:
        config = WorkerConfig.from_env()
    except ConfigError as exc:
        print(f"configuration: ERROR: {exc}", file=out)
        return 2
    import docker
    import docker.errors
    import requests

    info: dict[str, Any] = {}
    try:
        client = docker.from_env(timeout=10)
        version = client.version()
        info = client.info()
        client.close()
        print(f"docker: OK, engine {version.get('Version', '?')} (API {version.get('ApiVersion', '?')})", file=out)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        print(f"docker: ERROR: the Docker engine is not reachable: {exc}", file=out)
        problems.append("The Docker engine is not reachable (is dockerd running, and may this user use it?).")
    runtimes = sorted((info.get("Runtimes") or {}).keys())
    if info:
        print(f"runtimes: {', '.join(runtimes)} (default {info.get('DefaultRuntime', '?')})", file=out)
        if config.runtime not in runtimes:
            problems.append(f"EVALBOX_RUNTIME={config.runtime} but the Docker engine has no such runtime "
                            f"(it has: {', '.join(runtimes)}).")
    has_gpu_runtime = gpu.gpu_runtime_present(info)
    print(f"gpu runtime: {'present (nvidia)' if has_gpu_runtime else 'absent'}", file=out)
    if config.gpus and info and not has_gpu_runtime:
        problems.append(f"EVALBOX_GPUS={','.join(config.gpus)} but the Docker engine has no NVIDIA runtime.")
    if config.gpus:
        nvml = importlib.util.find_spec("pynvml") is not None
        print(f"gpu metrics: {'NVML binding present' if nvml else 'off (pip install nvidia-ml-py)'}", file=out)
    print("configuration:", file=out)
    print(json.dumps(config.describe(), indent=2, default=list), file=out)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=out)
    print("check: " + ("FAILED" if problems else "OK"), file=out)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``compute_worker``."""
    parser = argparse.ArgumentParser(prog="compute_worker", description="The evalbox compute worker.")
    parser.add_argument("--check", action="store_true", help="check Docker, GPU runtime and configuration")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox_parser = commands.add_parser(
        "sandbox-command", help="print the docker run line of the sandbox (what the worker runs)",
        description="Print the docker run command equivalent to the worker's sandbox for these limits.")
    sandbox_command.add_arguments(sandbox_parser)
    args = parser.parse_args(argv)
    if args.check:
        return check()
    if args.command == "sandbox-command":
        return sandbox_command.run(args, sandbox_parser)
    parser.print_help()
    print("\nStart the worker with: celery -A compute_worker worker -Q compute-worker", file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
