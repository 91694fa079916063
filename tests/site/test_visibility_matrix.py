"""No score leaks while a phase is private: every role, every phase state, every surface.

Roles: anonymous, another participant (``oli``), the submission's owner (``pat``), a team mate
(``tim``) and the organizer (``olga``). States: :data:`~tests.helpers.integrity_fixtures.STATES`.
Surfaces: the leaderboard page (with its chart), the participate tab, the CSV, the JSON API
(both leaderboards, the submission list and each submission), the detailed results' page and
document. The check is on the score values' text (raw and as the site writes them), so a
surface that forgot the rule fails whatever flag it sets; where the scores are visible, the
same check must find them, so it cannot pass by looking at the wrong thing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from competition.models import ApiToken
from tests.helpers.integrity_fixtures import DETAIL_SECRET, OTHER_SECRET, OWNER_SECRET, STATES, Vault

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "oli", "pat", "tim", "olga")


def _client(username: str | None) -> Client:
    """A client signed in as ``username`` (session for pages, a token for the API), or anonymous."""
    from django.contrib.auth import get_user_model

    if username is None:
        return Client()
    user = get_user_model().objects.get(username=username)
    client = Client(headers={"Authorization": f"Token {ApiToken.issue(user)}"})
    client.force_login(user)
    return client


def _surfaces(world: Vault) -> dict[str, str]:
    """Every surface's URL for this world."""
    slug, phase = world.competition.slug, world.phase.pk
    mine, theirs = world.owner_submission.pk, world.other_submission.pk
    return {
        "leaderboard page": f"/competitions/{slug}/leaderboard/?phase={phase}",
        "participate tab": f"/competitions/{slug}/participate/?phase={phase}",
        "csv": f"/competitions/{slug}/leaderboard.csv?phase={phase}",
        "api phase leaderboard": f"/api/phases/{phase}/leaderboard/",
        "api competition leaderboard": f"/api/competitions/{slug}/leaderboard/?phase={phase}",
        "api submission list": f"/api/competitions/{slug}/submissions/?phase={phase}",
        "api own submission": f"/api/submissions/{mine}/",
        "api other submission": f"/api/submissions/{theirs}/",
        "detailed results page": f"/competitions/{slug}/submissions/{mine}/results/",
        "detailed results document": f"/competitions/{slug}/submissions/{mine}/results/document",
    }


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("role", ROLES)
def test_no_score_leaks_while_private(vault, state, role) -> None:
    world = vault(state)
    public = STATES[state][3]
    client = _client(None if role == "anonymous" else role)
    bodies = {name: client.get(url) for name, url in _surfaces(world).items()}
    assert all(r.status_code < 500 for r in bodies.values()), {n: r.status_code for n, r in bodies.items()}
    text = {name: response.content.decode() for name, response in bodies.items()}
    sees_scores = role == "olga" or public
    board = text["leaderboard page"] + text["api phase leaderboard"] + text["api competition leaderboard"]
    if sees_scores:  # the check below finds the scores where they are shown
        assert OWNER_SECRET in board and OTHER_SECRET in board
        assert ('data-role="score-chart"' in text["leaderboard page"]) and OWNER_SECRET in text["csv"]
        if role in ("pat", "tim", "olga"):
            assert OWNER_SECRET in text["api own submission"] + text["participate tab"]
            assert DETAIL_SECRET in text["detailed results document"]
            assert 'iframe class="detailed-results" sandbox' in text["detailed results page"]
        return
    for name, body in text.items():
        for secret in (OWNER_SECRET, OTHER_SECRET, DETAIL_SECRET):
            assert secret not in body, (name, secret)
    assert 'data-role="score-chart"' not in text["leaderboard page"]
    assert bodies["csv"].status_code == 403 and "private" in text["csv"]
    assert bodies["detailed results document"].status_code == 404
    leaderboard = bodies["api phase leaderboard"].json()
    assert leaderboard["rows"] == [] and leaderboard["hidden"] and "private" in leaderboard["message"]
    if role in ("pat", "tim"):  # the owner and the team mate still follow the status
        own = bodies["api own submission"].json()
        assert own["status"] == "FINISHED" and own["scores"] == [] and own["scores_hidden"]
        assert own["logs"] == {"participant": "hello", "scoring": None} and own["detailed_results_url"] is None
        assert 'data-status="FINISHED"' in text["participate tab"] and "Scores private." in text["participate tab"]


@pytest.mark.parametrize("role", ["anonymous", "oli"])
def test_strangers_never_see_a_team_s_submission(vault, role) -> None:
    world = vault("public")
    client = _client(None if role == "anonymous" else role)
    assert client.get(f"/api/submissions/{world.owner_submission.pk}/").status_code in (401, 404)
    listed = client.get(f"/api/competitions/vault/submissions/?phase={world.phase.pk}")
    assert OWNER_SECRET not in listed.content.decode()
    assert client.get(f"/competitions/vault/submissions/{world.owner_submission.pk}/results/").status_code == 404


def test_the_team_mate_sees_the_team_s_submissions_and_the_other_its_own(vault) -> None:
    world = vault("public")
    tim = _client("tim").get(f"/api/competitions/vault/submissions/?phase={world.phase.pk}").json()
    assert [(s["id"], s["participant"], s["team"]) for s in tim["submissions"]] == [
        (world.owner_submission.pk, "pat", "owls")]
    oli = _client("oli").get(f"/api/competitions/vault/submissions/?phase={world.phase.pk}").json()
    assert [s["id"] for s in oli["submissions"]] == [world.other_submission.pk]
    assert _client("oli").get(f"/api/submissions/{world.owner_submission.pk}/").status_code == 404
