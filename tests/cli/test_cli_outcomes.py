"""What ``evalbox submit --wait`` ends with: its own exit code when the wait times out, and an exit code
printed only when the program's exit code is the reason of the failure (live site, no worker)."""

from __future__ import annotations

import io

import pytest

from competition.models import ApiToken
from evalbox_cli.errors import EXIT_FAILED, EXIT_WAIT_TIMEOUT
from evalbox_cli.render import print_outcome

pytestmark = pytest.mark.timeout(60)


def test_a_wait_that_times_out_has_its_own_exit_code(evalbox, live_server, make_competition, make_phase,
                                                      make_participant):
    competition = make_competition("waits")
    phase = make_phase(competition)
    token = ApiToken.issue(make_participant(competition, "pat").user)
    run = evalbox("submit", "--competition", "waits", "--phase", str(phase.pk), "alpine:3", "--wait",
                  "--interval", "0.2", "--timeout", "0.5",
                  env={"EVALBOX_SITE": live_server.url, "EVALBOX_TOKEN": token})
    assert run.code == EXIT_WAIT_TIMEOUT == 5, (run.out, run.err)
    assert "Gave up waiting" in run.err and "the submission goes on" in run.err


@pytest.mark.parametrize(("reason", "exit_code", "shown"), [
    ("non_zero_exit", 3, True), ("time_limit", 0, False), ("bad_output", 0, False), ("image_not_found", None, False),
])
def test_an_exit_code_is_printed_only_when_it_is_the_reason(reason, exit_code, shown):
    out = io.StringIO()
    code = print_outcome({"id": 7, "status": "FAILED", "failure_reason": reason, "failure_label": "X",
                          "failure_message": "m", "exit_code": exit_code}, out)
    assert code == EXIT_FAILED
    assert ("exit code" in out.getvalue()) is shown, out.getvalue()
