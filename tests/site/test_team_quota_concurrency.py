"""A team's quota and final marks hold when its members act at the same moment: real threads on PostgreSQL.

Each member locks their own participant row; only the team row's lock
(:func:`competition.teams.lock_submitter`) makes two members count one after the other. The
count is slowed down (fault injection: a pause after counting, inside the locked section), so
that without that lock every thread counts before any writes and the test fails every time,
not once in a while. SQLite takes the write lock for every transaction (``IMMEDIATE``), which
would hide a missing team lock, so these tests need PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from competition import final_choice
from competition.api import participant
from competition.models import ApiToken, Selection, Submission
from tests.helpers import services
from tests.helpers.site_api import submissions_url

MEMBERS, POSTS_EACH = 4, 2
PAUSE_S = 0.1


def _slowed(count: Callable[..., Any]) -> Callable[..., Any]:
    """``count``, then a pause: the window in which an unlocked writer would slip in."""

    def slow(*args: Any, **kwargs: Any) -> Any:
        answer = count(*args, **kwargs)
        time.sleep(PAUSE_S)
        return answer

    return slow


def _race(calls: list[Callable[[Client], int]], keys: list[str]) -> list[int]:
    """Run each call in its own thread with its own client, all released at once; their status codes."""
    barrier = threading.Barrier(len(calls))
    codes: list[int] = []

    def run(call: Callable[[Client], int], key: str) -> None:
        client = Client(headers={"Authorization": f"Token {key}"})
        try:
            barrier.wait()
            codes.append(call(client))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in zip(calls, keys, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return codes


@pytest.fixture
def crew(competition, make_team):
    """A team of :data:`MEMBERS` members in ``cats`` and their API keys."""
    services.require("postgresql")
    competition.max_team_size = MEMBERS
    competition.save()
    team = make_team(competition, "Crew", *(f"m{i}" for i in range(MEMBERS)))
    members = team.members.select_related("user").order_by("user__username")
    return team, [ApiToken.issue(member.user) for member in members]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quota", [{"max_submissions_per_day": 3}, {"max_submissions_total": 2}])
def test_members_posting_at_once_share_the_quota(quota, competition, make_phase, crew, mocker) -> None:
    team, keys = crew
    mocker.patch.object(participant, "quota_problem", _slowed(participant.quota_problem))
    phase = make_phase(competition, "Race", **{"max_submissions_per_day": 0, "max_submissions_total": 0, **quota})
    allowed = max(quota.values())

    def post(client: Client) -> int:
        return client.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"},
                           content_type="application/json").status_code

    codes = _race([post] * (MEMBERS * POSTS_EACH), keys * POSTS_EACH)
    assert sorted(codes) == [201] * allowed + [429] * (MEMBERS * POSTS_EACH - allowed)
    assert Submission.objects.filter(phase=phase, team=team).count() == allowed


@pytest.mark.django_db(transaction=True)
def test_members_marking_at_once_mark_at_most_n(competition, make_phase, make_submission, crew, mocker) -> None:
    team, keys = crew
    mocker.patch.object(final_choice, "marked_count", _slowed(final_choice.marked_count))
    phase = make_phase(competition, "Marks", selection_rule=Selection.CHOSEN, max_final_submissions=2)
    members = list(team.members.order_by("user__username"))
    submissions = [make_submission(phase, member, team=team, status="FINISHED", scores={"accuracy": 0.5},
                                   rank_score=0.5)[0] for member in members for _ in range(POSTS_EACH)]

    def marker(submission_id: int) -> Callable[[Client], int]:
        return lambda client: client.post(f"/api/submissions/{submission_id}/final/", {"final": True},
                                          content_type="application/json").status_code

    by_member = dict(zip((m.pk for m in members), keys, strict=True))
    codes = _race([marker(s.pk) for s in submissions], [by_member[s.participant_id] for s in submissions])
    assert sorted(codes) == [200] * 2 + [409] * (len(submissions) - 2)
    assert Submission.objects.filter(team=team, final_choice=True).count() == 2
