"""Which submission counts: the best, the last, or the best of those marked final; marks under the quota,
frozen after the deadline, dropped on failure or cancellation; ties; one query whatever the number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from competition.actions import cancel_submission, rerun_submission
from competition.final_choice import ChoiceRefused, mark_final
from competition.leaderboard import leaderboard_for_phase
from competition.models import Selection, Submission
from competition.transitions import fail, locked
from compute_worker.protocol import FailureReason
from tests.helpers.site_api import submissions_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(make_submission):
    """``scored(phase, participant, minutes_ago, accuracy, status="FINISHED", **fields)``: a submission."""

    def make(phase, participant, minutes_ago: int, accuracy: float, status: str = "FINISHED", **fields):
        created = timezone.now() - timedelta(minutes=minutes_ago)
        submission, _ = make_submission(phase, participant, status=status, scores={"accuracy": accuracy},
                                        rank_score=accuracy if status == "FINISHED" else None, created=created,
                                        finished_at=created, **fields)
        return submission

    return make


def _rows(phase) -> list[tuple[str, int]]:
    return [(row["participant"], row["submission_id"]) for row in leaderboard_for_phase(phase, organizer=True)["rows"]]


def test_the_last_finished_submission_counts(competition, make_phase, make_participant, scored) -> None:
    phase = make_phase(competition, selection_rule=Selection.LAST)
    ada, bob = make_participant(competition, "ada"), make_participant(competition, "bob")
    scored(phase, ada, 30, 0.9)
    last = scored(phase, ada, 20, 0.5)
    scored(phase, ada, 10, 0.99, status="FAILED")  # a later failure does not replace it
    scored(phase, ada, 5, 0.99, status="RUNNING")
    bob_first = scored(phase, bob, 40, 0.7)
    bob_same_time = scored(phase, bob, 40, 0.1)  # the same time stamp: the higher id is the last
    Submission.objects.filter(pk=bob_first.pk).update(created=bob_same_time.created)
    assert _rows(phase) == [("ada", last.pk), ("bob", bob_same_time.pk)]


def test_chosen_rule_marks_up_to_n_and_counts_the_best_marked(competition, make_phase, participant, scored,
                                                              api_for) -> None:
    phase = make_phase(competition, selection_rule=Selection.CHOSEN, max_final_submissions=2)
    best, middle, low, running = (scored(phase, participant, 40, 0.9), scored(phase, participant, 30, 0.6),
                                  scored(phase, participant, 20, 0.3), scored(phase, participant, 1, 0, "RUNNING"))
    assert _rows(phase) == [("pat", best.pk)]  # nothing marked: the best counts
    api = api_for(participant.user)
    for submission in (low, middle):
        answer = api.post(f"/api/submissions/{submission.pk}/final/", {"final": True})
        assert answer.status_code == 200 and answer.json()["final"] is True
    assert _rows(phase) == [("pat", middle.pk)]  # the best of the marked, not the best of all
    third = api.post(f"/api/submissions/{running.pk}/final/", {"final": True})
    assert third.status_code == 409 and "are used up (2 of 2)" in third.json()["error"]
    assert api.post(f"/api/submissions/{middle.pk}/final/", {"final": False}).json()["final"] is False
    assert api.post(f"/api/submissions/{running.pk}/final/", {"final": True}).status_code == 200
    assert _rows(phase) == [("pat", low.pk)]  # the marked running one counts once it finishes
    assert api.post(f"/api/submissions/{low.pk}/final/", {"final": "yes"}).status_code == 400


def test_marks_are_frozen_after_the_deadline(competition, make_phase, participant, scored, api_for) -> None:
    now = timezone.now()
    phase = make_phase(competition, selection_rule=Selection.CHOSEN, max_final_submissions=1,
                       start=now - timedelta(days=2), end=now - timedelta(minutes=1))
    marked, other = scored(phase, participant, 3000, 0.2, final_choice=True), scored(phase, participant, 2999, 0.8)
    api = api_for(participant.user)
    for submission, final in ((other, True), (marked, False)):
        answer = api.post(f"/api/submissions/{submission.pk}/final/", {"final": final})
        assert answer.status_code == 409 and "frozen" in answer.json()["error"]
    assert _rows(phase) == [("pat", marked.pk)]
    assert api.get(f"/api/submissions/{marked.pk}/").json()["can_mark_final"] is False


def test_marking_needs_the_chosen_rule_and_the_owner(competition, phase, participant, make_participant, scored,
                                                     api_for) -> None:
    submission = scored(phase, participant, 5, 0.5)  # the fixture's phase counts the best
    answer = api_for(participant.user).post(f"/api/submissions/{submission.pk}/final/", {"final": True})
    assert answer.status_code == 409 and "best finished submission" in answer.json()["error"]
    stranger = make_participant(competition, "sam")
    assert api_for(stranger.user).post(f"/api/submissions/{submission.pk}/final/", {}).status_code == 404


def test_withdrawals_failed_cancelled_and_rerun(competition, make_phase, participant, scored) -> None:
    phase = make_phase(competition, selection_rule=Selection.CHOSEN, max_final_submissions=3)
    best, marked, doomed = scored(phase, participant, 50, 0.9), scored(phase, participant, 40, 0.4), \
        scored(phase, participant, 1, 0.0, status="RUNNING")
    for submission in (marked, doomed):
        mark_final(participant, submission.pk, True)
    locked(doomed.pk, None, lambda s: fail(s, FailureReason.TIME_LIMIT, "too slow"))
    doomed.refresh_from_db()
    assert not doomed.final_choice  # a failed submission loses its mark, which frees the slot
    with pytest.raises(ChoiceRefused, match="FAILED"):
        mark_final(participant, doomed.pk, True)
    assert _rows(phase) == [("pat", marked.pk)]
    rerun_submission(marked.pk)  # organizers rerun it: while it runs again, nothing marked is finished
    assert Submission.objects.get(pk=marked.pk).final_choice
    assert _rows(phase) == [("pat", best.pk)]  # ... so the best counts meanwhile
    cancel_submission(marked.pk)
    assert not Submission.objects.get(pk=marked.pk).final_choice
    assert _rows(phase) == [("pat", best.pk)]


def test_ties_rank_the_earlier_submission_first(competition, make_phase, make_participant, scored) -> None:
    for rule in Selection:
        phase = make_phase(competition, f"Ties {rule}", selection_rule=rule)
        late, early = make_participant(competition, f"late-{rule}"), make_participant(competition, f"early-{rule}")
        scored(phase, late, 5, 0.75)
        scored(phase, early, 50, 0.75)
        assert [name for name, _ in _rows(phase)] == [f"early-{rule}", f"late-{rule}"]


def test_marks_do_not_spend_the_quota_and_the_quota_holds(competition, make_phase, participant, api_for) -> None:
    phase = make_phase(competition, "Quota", selection_rule=Selection.CHOSEN, max_final_submissions=2,
                       max_submissions_total=2, max_submissions_per_day=0)
    api = api_for(participant.user)
    ids = [api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).json()["id"] for _ in range(2)]
    for submission_id in ids:
        assert api.post(f"/api/submissions/{submission_id}/final/", {"final": True}).status_code == 200
    assert api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).status_code == 429
    assert set(Submission.objects.filter(final_choice=True).values_list("pk", flat=True)) == set(ids)


@pytest.mark.parametrize("rule", list(Selection))
@pytest.mark.parametrize("count", [10, 200])
def test_one_query_for_the_rows_whatever_the_rule(rule, count, competition, make_phase, make_participant,
                                                  make_team, scored, django_assert_num_queries) -> None:
    competition.max_team_size = 2
    competition.save()
    phase = make_phase(competition, selection_rule=rule)
    team = make_team(competition, "Pairs", "p0", "p1")
    members = list(team.members.all())
    alone = [make_participant(competition, f"solo{i}") for i in range(8)]
    for i in range(count):
        submitter = (members + alone)[i % 10]
        scored(phase, submitter, i, (i * 7919) % 101 / 100, team=submitter.team, final_choice=i % 3 == 0)
    with django_assert_num_queries(2):  # columns, rows
        rows = leaderboard_for_phase(phase, organizer=True)["rows"]
    assert len(rows) == 9 and sum(row["team"] == "pairs" for row in rows) == 1
    scores = [row["scores"]["accuracy"] for row in rows]
    assert scores == sorted(scores, reverse=True)
