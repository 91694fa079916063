"""Running the ``evalbox`` command line in-process, with captured output that may pose as a terminal."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from evalbox_cli import main as cli


class Terminal(io.StringIO):
    """Captured output that says it is (or is not) a terminal."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@dataclass
class Run:
    """The outcome of one ``evalbox`` command."""

    code: int
    out: str
    err: str


def run_cli(argv: list[str], home: Path, env: dict[str, str] | None = None, tty: bool = False) -> Run:
    """Run ``evalbox argv`` with ``HOME`` (and the config folder) under ``home``; stdout a terminal if ``tty``."""
    out, err = Terminal(tty), Terminal()
    environment = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    code = cli.main(argv, env=environment, out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())
