"""Teams: forming, inviting, joining and leaving by the rules of competition/teams.py, the shared quota and
leaderboard row, the namespace, and the pages that do it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from competition import teams
from competition.invitation_rules import INVITATION_DAYS
from competition.leaderboard import leaderboard_for_phase
from competition.models import Participant, Submission, Team, TeamInvitation
from tests.helpers.site_api import submissions_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def league(make_competition):
    """``league``: a competition whose teams have at most 2 members."""
    return make_competition("league", max_team_size=2)


def _submit(api_for, participant, phase):
    body = {"phase": phase.pk, "image": "alpine"}
    return api_for(participant.user).post(submissions_url(phase.competition.slug), body)


def test_namespace_is_the_team_slug_else_the_username(league, make_participant) -> None:
    ada = make_participant(league, "ada")
    assert teams.namespace_of(ada) == "ada"
    teams.form_team(ada, "  The   Night Owls ")
    ada.refresh_from_db()
    assert (ada.team.name, teams.namespace_of(ada)) == ("The Night Owls", "the-night-owls")


def test_forming_is_refused_with_a_reason(league, make_competition, make_phase, make_participant,
                                          make_submission) -> None:
    solo = make_participant(make_competition("solo"), "sol")
    with pytest.raises(teams.TeamRefused, match="no teams"):
        teams.form_team(solo, "Sols")
    ada, bob = make_participant(league, "ada"), make_participant(league, "bob", status=Participant.PENDING)
    with pytest.raises(teams.TeamRefused, match="approved"):
        teams.form_team(bob, "Bobs")
    for taken in ("ada", "AdA", "0lga", "admin", "!!!", "x" * 61):  # accounts, a look-alike, reserved, bad
        with pytest.raises(teams.TeamRefused):
            teams.form_team(ada, taken)
    make_submission(make_phase(league), ada)
    with pytest.raises(teams.TeamRefused, match="already submitted"):
        teams.form_team(ada, "Late")
    cat = make_participant(league, "cat")
    teams.form_team(cat, "Cats Club")
    dan = make_participant(league, "dan")
    with pytest.raises(teams.TeamRefused, match="not available"):
        teams.form_team(dan, "cats-club")  # the same slug in this competition


def test_sign_up_refuses_a_team_s_namespace(league, make_participant, client) -> None:
    teams.form_team(make_participant(league, "ada"), "Owls")
    answer = client.post("/accounts/signup/", {"username": "0wls", "password1": "a-long pass phrase 42",
                                               "password2": "a-long pass phrase 42"})
    assert "This username is not available" in answer.content.decode()


def test_invite_accept_size_limit_and_lapse(league, make_participant) -> None:
    ada, bob, cat = (make_participant(league, n) for n in ("ada", "bob", "cat"))
    team = teams.form_team(ada, "Owls")
    ada.refresh_from_db()
    for name in ("bob", "cat", "nobody", "ada"):  # no answer says whether a name exists
        teams.invite(team, ada, name)
    assert sorted(TeamInvitation.objects.values_list("user__username", flat=True)) == ["bob", "cat"]
    assert teams.answer(bob.user, TeamInvitation.objects.get(user=bob.user).pk, accept=True) == team
    with pytest.raises(teams.TeamRefused, match="full"):
        teams.answer(cat.user, TeamInvitation.objects.get(user=cat.user).pk, accept=True)
    assert TeamInvitation.objects.filter(user=cat.user).exists()  # a refused join keeps the invitation
    with pytest.raises(teams.TeamRefused, match="full"):
        teams.invite(team, ada, "cat")
    TeamInvitation.objects.filter(user=cat.user).update(created=timezone.now() - timedelta(days=INVITATION_DAYS + 1))
    assert not teams.pending_for(cat.user).exists()
    assert sorted(team.members.values_list("user__username", flat=True)) == ["ada", "bob"]


def test_a_participant_who_submitted_cannot_join(league, make_phase, make_participant, make_submission) -> None:
    ada, bob = make_participant(league, "ada"), make_participant(league, "bob")
    team = teams.form_team(ada, "Owls")
    ada.refresh_from_db()
    make_submission(make_phase(league), bob)
    teams.invite(team, ada, "bob")
    with pytest.raises(teams.TeamRefused, match="already submitted"):
        teams.answer(bob.user, TeamInvitation.objects.get(user=bob.user).pk, accept=True)


def test_the_team_shares_one_quota_and_one_row(league, make_phase, make_team, make_participant, api_for) -> None:
    phase = make_phase(league, max_submissions_per_day=2, max_submissions_total=0)
    team = make_team(league, "Owls", "ada", "bob")
    ada, bob = team.members.order_by("user__username")
    assert _submit(api_for, ada, phase).status_code == 201
    assert _submit(api_for, bob, phase).status_code == 201
    refused = _submit(api_for, ada, phase)
    assert refused.status_code == 429 and refused.json()["error"].startswith("Your team has used today's 2")
    assert set(Submission.objects.values_list("team_id", flat=True)) == {team.pk}
    Submission.objects.update(status="FINISHED", scores={"accuracy": 0.5}, rank_score=0.5)
    rows = leaderboard_for_phase(phase, organizer=False)["rows"]
    assert [(row["participant"], row["team"]) for row in rows] == [("Owls", "owls")]


def test_leaving_keeps_the_team_s_submissions_and_the_leaver_s_count(league, make_phase, make_team, api_for,
                                                                       make_participant) -> None:
    phase = make_phase(league, max_submissions_per_day=0, max_submissions_total=2)
    team = make_team(league, "Owls", "ada", "bob")
    ada, bob = team.members.order_by("user__username")
    assert _submit(api_for, ada, phase).status_code == 201
    teams.leave(ada)
    ada.refresh_from_db()
    assert ada.team is None and Submission.objects.get().team == team  # the team keeps it
    assert _submit(api_for, ada, phase).status_code == 201  # alone: 1 of 2 was spent for the team
    refused = _submit(api_for, ada, phase)
    assert refused.status_code == 429 and refused.json()["error"].startswith("You have used all 2")
    assert _submit(api_for, bob, phase).status_code == 201  # the team: 2 of 2 now
    assert _submit(api_for, bob, phase).status_code == 429
    Submission.objects.update(status="FINISHED", scores={"accuracy": 0.5}, rank_score=0.5)
    rows = leaderboard_for_phase(phase, organizer=False)["rows"]
    assert sorted(row["participant"] for row in rows) == ["Owls", "ada"]
    teams.leave(bob)
    assert Team.objects.filter(pk=team.pk).exists()  # empty, but it has submissions: it stays ranked
    with pytest.raises(teams.TeamRefused, match="not in a team"):
        teams.leave(Participant.objects.get(pk=bob.pk))
    empty = teams.form_team(make_participant(league, "cat"), "Brief")
    teams.leave(Participant.objects.get(user__username="cat"))
    assert not Team.objects.filter(pk=empty.pk).exists()


def test_the_pages_form_invite_join_and_leave(league, make_phase, make_participant) -> None:
    make_phase(league)
    ada, bob = make_participant(league, "ada"), make_participant(league, "bob")
    pages = {}
    for participant in (ada, bob):
        pages[participant.user.username] = Client()
        pages[participant.user.username].force_login(participant.user)
    ada_page, bob_page = pages["ada"], pages["bob"]
    participate = ada_page.get("/competitions/league/participate/").content.decode()
    assert 'data-role="team"' in participate and "Form team" in participate
    formed = ada_page.post("/competitions/league/team/form/", {"name": "Owls"}, follow=True).content.decode()
    assert "Team Owls formed" in formed and "namespace <code>owls</code>" in formed
    invited = ada_page.post("/competitions/league/team/invite/", {"username": "bob"}, follow=True).content.decode()
    assert "If bob takes part in this competition without a team" in invited
    invitations = bob_page.get("/accounts/invitations/").content.decode()
    assert 'data-role="team-invitations"' in invitations and "Owls" in invitations
    invitation = TeamInvitation.objects.get()
    joined = bob_page.post(f"/accounts/invitations/team/{invitation.pk}/accept/", follow=True).content.decode()
    assert "You joined Owls." in joined and joined.count('data-role="team-member"') == 2
    assert "Invite a participant" not in joined  # the team is full
    left = bob_page.post("/competitions/league/team/leave/", follow=True).content.decode()
    assert "You left Owls." in left and "Form team" in left
    again = bob_page.post(f"/accounts/invitations/team/{invitation.pk}/accept/", follow=True).content.decode()
    assert "no longer pending" in again


def test_the_status_get_shows_a_team_s_submission_to_members_only_in_three_queries(
        league, make_phase, make_team, make_participant, make_submission, api_for, django_assert_num_queries) -> None:
    phase = make_phase(league)
    team = make_team(league, "Owls", "ada", "bob")
    ada, bob = team.members.order_by("user__username")
    made_alone = make_participant(league, "cat")
    in_another_team = make_team(league, "Larks", "dan").members.get()
    submission, _ = make_submission(phase, ada, team=team)
    url = f"/api/submissions/{submission.pk}/"
    # The token, the submission with who the caller is to it, the phase's columns: for every viewer.
    for user in (ada.user, bob.user, league.created_by):
        api = api_for(user)
        with django_assert_num_queries(3):
            assert api.get(url).status_code == 200
    for stranger in (made_alone.user, in_another_team.user):
        assert api_for(stranger).get(url).status_code == 404
    teams.leave(bob)  # a leaver no longer sees the team's submissions; the maker still sees their own
    assert api_for(bob.user).get(url).status_code == 404
    teams.leave(ada)
    assert api_for(ada.user).get(url).status_code == 200
