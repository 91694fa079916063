"""CLI fixtures: the live site, real workers and the demo phase of ``tests/e2e/conftest.py`` (imported)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from competition.models import ApiToken
from evalbox_cli import main as cli
from tests.e2e.conftest import (  # noqa: F401  (fixtures)
    demo_archives,
    demo_phase,
    e2e_queue,
    example_images,
    one_worker,
    site,
    workers,
)


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


@pytest.fixture
def pat_token(demo_phase, make_participant) -> str:  # noqa: F811 (the imported fixture)
    """The API key of ``pat``, an approved participant of the demo competition."""
    participant = make_participant(demo_phase.competition, "pat")
    return ApiToken.issue(participant.user)


@pytest.fixture
def evalbox(tmp_path) -> Callable[..., Run]:
    """``evalbox(*argv, env={...}, tty=False)``: run the CLI in-process (HOME is a temporary folder)."""

    def run(*argv: str, env: dict[str, str] | None = None, tty: bool = False) -> Run:
        out, err = Terminal(tty), Terminal()
        environment = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), **(env or {})}
        code = cli.main(list(argv), env=environment, out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    return run
