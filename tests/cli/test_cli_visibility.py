"""The ``evalbox`` CLI under a private phase: no score in ``leaderboard`` or ``status`` until the scores are
public, to the owner, a team mate and another participant; the organizer sees them; ``final`` marks (live site)."""

from __future__ import annotations

import pytest

from competition.models import ApiToken, Selection, Submission
from tests.helpers.integrity_fixtures import OTHER_SECRET, OWNER_SECRET, STATES

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("state", ["unpublished", "until-end-before", "published", "until-end-after"])
def test_leaderboard_and_status_keep_private_scores_private(evalbox, live_server, vault, state):
    world = vault(state)
    public = STATES[state][3]
    site = ["--site", live_server.url]
    for username in ("pat", "tim", "oli", "olga", None):
        env = {}
        if username:
            user = {"pat": world.owner, "tim": world.mate, "oli": world.other}.get(username)
            env["EVALBOX_TOKEN"] = ApiToken.issue(user.user if user else world.competition.created_by)
        board = evalbox("leaderboard", "vault", "--phase", str(world.phase.pk), *site, env=env)
        assert board.code == 0, board.err
        sees = public or username == "olga"
        assert (OWNER_SECRET in board.out and OTHER_SECRET in board.out) is sees, (username, board.out)
        if not sees:
            assert OWNER_SECRET not in board.out and OTHER_SECRET not in board.out
            assert "private" in board.out.splitlines()[1]
    for username, participant in (("pat", world.owner), ("tim", world.mate)):
        status = evalbox("status", str(world.owner_submission.pk), *site,
                         env={"EVALBOX_TOKEN": ApiToken.issue(participant.user)})
        assert status.code == 0, status.err
        assert (OWNER_SECRET in status.out) is public, (username, status.out)
        assert "  team: owls" in status.out.splitlines()
        if not public:
            assert "  scores private: The scores of Final are private" in status.out


def test_final_marks_a_submission_from_the_command_line(evalbox, live_server, vault):
    world = vault("unpublished")
    world.phase.selection_rule = Selection.CHOSEN
    world.phase.save()
    env = {"EVALBOX_TOKEN": ApiToken.issue(world.mate.user)}  # a team mate marks the team's submission
    site = ["--site", live_server.url]
    marked = evalbox("final", str(world.owner_submission.pk), *site, env=env)
    assert marked.code == 0 and marked.out == f"Submission #{world.owner_submission.pk} is marked final.\n"
    assert Submission.objects.get(pk=world.owner_submission.pk).final_choice
    assert "  marked final" in evalbox("status", str(world.owner_submission.pk), *site, env=env).out
    unmarked = evalbox("final", str(world.owner_submission.pk), "--unmark", *site, env=env)
    assert unmarked.out.endswith("is no longer marked final.\n")
    refused = evalbox("final", str(world.other_submission.pk), *site, env=env)
    assert refused.code == 3 and "HTTP 404" in refused.err
