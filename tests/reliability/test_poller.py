"""The status-polling load client's command line (``tests.helpers.poller``), which the load test runs."""

from __future__ import annotations

import pytest

from tests.helpers.poller import command, parse_args


@pytest.mark.parametrize("token", ["-Ab_c9", "--x", "plain"])
def test_the_command_line_reads_back_any_token_even_one_that_begins_with_a_dash(token: str) -> None:
    argv = command("http://127.0.0.1:1", token, [3, 4], clients=2, duration=1.5, interval=0.25)
    assert argv[1:3] == ["-m", "tests.helpers.poller"]
    args = parse_args(argv[3:])
    assert (args.url, args.token, args.ids) == ("http://127.0.0.1:1", token, "3,4")
    assert (args.clients, args.duration, args.interval) == (2, 1.5, 0.25)
