"""Fixtures of the integrity tests: a competition with a team, another participant, finished scores and a switch
for the phase's leaderboard visibility (``vault``), and a team factory (``make_team``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from competition.models import Competition, Participant, Phase, Submission, Team, Visibility
from competition.teams import form_team
from competition.visibility import publish

#: Scores whose text cannot turn up by chance in a page (no time stamp has 4 digits before a point).
OWNER_SCORE, OTHER_SCORE = 4817.2931, 3902.6517
#: What would leak each score: its site rendering (precision 2) is a prefix of the raw value too.
OWNER_SECRET, OTHER_SECRET = "4817.29", "3902.65"
DETAIL_SECRET = "DETAIL-4817.29"

#: ``(visibility, ends in hours, published)`` of each phase state, and whether participants see the scores.
STATES = {
    "public": (Visibility.PUBLIC, 24, False, True),
    "unpublished": (Visibility.UNTIL_PUBLISHED, 24, False, False),
    "unpublished-after-end": (Visibility.UNTIL_PUBLISHED, -1, False, False),
    "published": (Visibility.UNTIL_PUBLISHED, 24, True, True),
    "until-end-before": (Visibility.UNTIL_END, 24, False, False),
    "until-end-after": (Visibility.UNTIL_END, -1, False, True),
    "until-end-published-early": (Visibility.UNTIL_END, 24, True, True),
}


@dataclass
class Vault:
    """The ``vault`` competition: ``pat`` and ``tim`` form team Owls (pat submitted), ``oli`` submits alone."""

    competition: Competition
    phase: Phase
    team: Team
    owner: Participant
    mate: Participant
    other: Participant
    owner_submission: Submission
    other_submission: Submission


@pytest.fixture
def make_team(make_participant) -> Callable[..., Team]:
    """``make_team(competition, name, *usernames)``: the first user forms the team, the others are members."""

    def make(competition: Competition, name: str, *usernames: str) -> Team:
        first, *others = [Participant.objects.filter(competition=competition, user__username=n).first()
                          or make_participant(competition, n) for n in usernames]
        team = form_team(first, name)
        for member in others:  # joined as an accepted invitation would (competition.teams._join's effect)
            member.team = team
            member.save(update_fields=["team"])
        return team

    return make


@pytest.fixture
def vault(make_competition, make_phase, make_participant, make_submission, make_team, organizer
          ) -> Callable[[str], Vault]:
    """``vault(state)``: the competition with its phase in one of :data:`STATES`."""

    def make(state: str) -> Vault:
        visibility, end_hours, published, _ = STATES[state]
        competition = make_competition("vault", max_team_size=3, participants_see_logs=True)
        now = timezone.now()
        phase = make_phase(competition, "Final", columns=(("accuracy", "desc", 2, True),),
                           start=now - timedelta(days=2), end=now + timedelta(hours=end_hours),
                           leaderboard_visibility=visibility, show_detailed_results=True)
        team = make_team(competition, "Owls", "pat", "tim")
        owner, mate = team.members.order_by("user__username")
        other = make_participant(competition, "oli")
        finished = now - timedelta(days=1)
        mine, _ = make_submission(phase, owner, team=team, status="FINISHED", scores={"accuracy": OWNER_SCORE},
                                  rank_score=OWNER_SCORE, finished_at=finished, created=finished,
                                  detailed_results=f"<p>{DETAIL_SECRET}</p>", participant_log="hello",
                                  scoring_log=f"accuracy={OWNER_SCORE}")
        theirs, _ = make_submission(phase, other, status="FINISHED", scores={"accuracy": OTHER_SCORE},
                                    rank_score=OTHER_SCORE, finished_at=finished, created=finished,
                                    scoring_log=f"accuracy={OTHER_SCORE}")
        if published:
            publish(phase, organizer)
            phase.refresh_from_db()
        return Vault(competition, phase, team, owner, mate, other, mine, theirs)

    return make

