"""``evalbox try IMAGE --input DIR [--reference DIR --scoring-image IMAGE]``: what the platform would say, locally.

It runs the image on this machine's Docker in exactly the worker's sandbox, with the worker's
own code (:mod:`compute_worker.local_run`: the same container options, output checks, failure
reasons and scorer), without any site, and prints the live log, the progress, then the verdict:
status, reason, message, scores, exit codes and metadata.

The plain ``pip install evalbox`` has no Docker SDK: the worker is imported here, inside the
command only, and its absence is one clear line (``pip install 'evalbox[worker]'``).
Exit codes: 0 FINISHED (or ran well, without a scorer), 1 FAILED, 2 usage, 4 Docker unreachable.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from compute_worker.protocol import ProtocolError, Status, parse_reference
from compute_worker.protocol.limit_options import add_limit_arguments, limits_from

from .errors import EXIT_FAILED, EXIT_NETWORK, EXIT_OK, EXIT_USAGE, CliError

WORKER_EXTRA = "evalbox try runs the worker's own sandbox: install it with pip install 'evalbox[worker]'"


def add_parser(commands: Any) -> None:
    """The ``try`` sub-command."""
    parser = commands.add_parser(
        "try", help="run an image locally in the platform's sandbox and print what the platform would say",
        description="Run IMAGE on your own Docker exactly as a compute worker would (same sandbox, checks, "
                    "failure reasons and scorer), without a site.")
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument("--input", required=True, type=Path, metavar="DIR", help="the input data, mounted at /mnt/in")
    parser.add_argument("--reference", type=Path, metavar="DIR", help="the reference data the scorer reads")
    parser.add_argument("--scoring-image", metavar="IMAGE", help="the organizers' scoring image")
    parser.add_argument("--output", type=Path, metavar="DIR", help="keep the collected /mnt/out here")
    parser.add_argument("--runtime", choices=("runc", "runsc"), default="runc", help="container runtime (default runc)")
    parser.add_argument("--gpu-ids", help="comma list of GPU ids for a phase with --gpus (default 0..gpus-1)")
    add_limit_arguments(parser, {"time_limit_s": "the run is stopped past it"})
    parser.set_defaults(handler=cmd_try)


class TerminalViewer:
    """Prints the run as it goes: one header per stream, its output, progress changes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.stream = ""

    def status(self, status: Status, message: str) -> None:
        print(f"evalbox try: {status.value}: {message}", file=self.out, flush=True)

    def log(self, stream: str, text: str) -> None:
        if stream != self.stream:
            self.stream = stream
            print(f"--- {stream} log ---", file=self.out)
        self.out.write(text)
        self.out.flush()

    def progress(self, stream: str, progress: float | None, message: str) -> None:
        shown = f"{progress * 100:.0f} %" if progress is not None else ""
        print(f"[{stream} progress: {' · '.join(p for p in (shown, message) if p)}]", file=self.out, flush=True)


def _checked(args: argparse.Namespace) -> None:
    for image in filter(None, (args.image, args.scoring_image)):
        try:
            parse_reference(image)
        except ProtocolError as exc:
            raise CliError(f"Bad image reference {image!r}: {exc}", EXIT_USAGE) from None
    for name in ("input", "reference"):
        folder = getattr(args, name)
        if folder is not None and not folder.is_dir():
            raise CliError(f"--{name} {folder} is not a folder.", EXIT_USAGE)
    if bool(args.reference) and not args.scoring_image:
        raise CliError("--reference needs --scoring-image (the scorer that reads it).", EXIT_USAGE)
    if args.output is not None and args.output.exists() and any(args.output.iterdir()):
        raise CliError(f"--output {args.output} exists and is not empty.", EXIT_USAGE)


def print_verdict(report: Any, out: TextIO) -> int:
    """What the platform would show of the result; the exit code it means."""
    reason = report.failure_reason
    print(file=out)
    for label, value in (("Status", report.status.value),
                         # The code the site shows beside its label (docs/participants.md, "Reading a failure").
                         ("Reason", reason.value if reason else None),
                         ("Message", report.failure_message), ("Digest", report.image_digest),
                         ("Exit code", report.exit_code), ("Scorer's exit code", report.scoring_exit_code),
                         ("Run time (s)", report.duration_s), ("CPU time (s)", report.cpu_seconds),
                         ("Peak memory (bytes)", report.peak_memory_bytes)):
        if value not in (None, ""):
            print(f"{label + ':':<21}{value}", file=out)
    if report.status is Status.FINISHED and not report.scores:
        print("Scores:              none (no --scoring-image: the output was collected, not scored)", file=out)
    for title, values in (("Scores", report.scores), ("Metadata (never scored)", report.metadata)):
        if values:
            print(f"{title}:", file=out)
            for key, value in values.items():
                print(f"  {key}  {value}", file=out)
    return EXIT_OK if report.status is Status.FINISHED else EXIT_FAILED


def cmd_try(args: argparse.Namespace, env: Any, out: TextIO) -> int:
    """Run the image locally and print the verdict."""
    _checked(args)
    try:
        limits = limits_from(args)
    except ProtocolError as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    try:  # the worker, only for this command: the plain install is the CLI with requests only
        import docker

        from compute_worker import local_run
    except ImportError as exc:
        raise CliError(f"{WORKER_EXTRA} ({exc}).", EXIT_USAGE) from None
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any way Docker is out of reach
        raise CliError(f"Docker is not reachable ({exc}): start it, or set DOCKER_HOST.", EXIT_NETWORK) from None
    for path in local_run.unreadable_entries(args.input.resolve()):
        print(f"evalbox try: warning: {path} is not readable by others; the sandbox user (65534) cannot read it, "
              "while the platform's extracted data is readable", file=out)
    gpu_ids = tuple(args.gpu_ids.split(",")) if args.gpu_ids else tuple(str(i) for i in range(limits.gpus))
    run = local_run.LocalRun(image=args.image, input_dir=args.input.resolve(), limits=limits,
                             reference_dir=args.reference.resolve() if args.reference else None,
                             scoring_image=args.scoring_image or "", output_dir=args.output, runtime=args.runtime,
                             gpu_ids=gpu_ids)
    try:
        report, _ = local_run.try_image(run, TerminalViewer(out), client)
    finally:
        client.close()
    if args.output is not None:
        print(f"evalbox try: the collected output is in {args.output}", file=out)
    return print_verdict(report, out)
