"""CLI fixtures: ``evalbox`` run in-process, and the API key of a participant of the demo competition."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from competition.models import ApiToken
from tests.helpers.cli_runner import Run, run_cli


@pytest.fixture
def pat_token(demo_phase, make_participant) -> str:
    """The API key of ``pat``, an approved participant of the demo competition."""
    participant = make_participant(demo_phase.competition, "pat")
    return ApiToken.issue(participant.user)


@pytest.fixture
def evalbox(tmp_path) -> Callable[..., Run]:
    """``evalbox(*argv, env={...}, tty=False)``: run the CLI in-process (HOME is a temporary folder)."""

    def run(*argv: str, env: dict[str, str] | None = None, tty: bool = False) -> Run:
        return run_cli(list(argv), tmp_path, env, tty)

    return run
