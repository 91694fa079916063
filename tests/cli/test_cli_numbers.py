"""The ``evalbox`` CLI prints scores exactly as the site writes them, extreme ones included (live site, no worker)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from competition.models import ApiToken
from competition.numbers import format_number

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("value", [1.7e308, -1.7976931348623157e308, 1e16 + 2, 1e-300, 0.9])
def test_leaderboard_and_status_print_the_site_rendering(evalbox, live_server, make_competition, make_phase,
                                                          make_participant, make_submission, value):
    competition = make_competition("numbers")
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, True),))
    participant = make_participant(competition, "pat")
    submission, _ = make_submission(phase, participant, status="FINISHED", rank_score=value,
                                    scores={"accuracy": value}, finished_at=timezone.now())
    text = format_number(value, 3)

    board = evalbox("leaderboard", competition.slug, "--site", live_server.url)
    assert board.code == 0, board.err
    assert board.out.splitlines()[2].split() == ["1", "pat", text, f"#{submission.pk}"]

    status = evalbox("status", str(submission.pk), "--site", live_server.url,
                     env={"EVALBOX_TOKEN": ApiToken.issue(participant.user)})
    assert status.code == 0, status.err
    assert f"  Accuracy  {text}" in status.out.splitlines()
