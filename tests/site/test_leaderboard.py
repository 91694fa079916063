"""The leaderboard: best finished submission per participant, ties, precision, sorting, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from competition.leaderboard import leaderboard_for_phase

pytestmark = pytest.mark.django_db

COLUMNS = (("error", "asc", 2, True), ("accuracy", "desc", 3, False))


@pytest.fixture
def finish(make_submission):
    """``finish(phase, participant, minutes_ago, **scores)``: a FINISHED submission."""

    def make(phase, participant, minutes_ago: int, status: str = "FINISHED", **scores):
        ranking = phase.columns.get(ranks=True).key
        submission, _ = make_submission(phase, participant, status=status, scores=scores,
                                        rank_score=scores.get(ranking),
                                        created=timezone.now() - timedelta(minutes=minutes_ago))
        return submission

    return make


def test_best_per_participant_lower_is_better(competition, make_phase, make_participant, finish, api_for) -> None:
    phase = make_phase(competition, columns=COLUMNS)
    alice, bob, carol = (make_participant(competition, n) for n in ("alice", "bob", "carol"))
    finish(phase, alice, 50, error=0.30, accuracy=0.7)
    best_alice = finish(phase, alice, 40, error=0.123456, accuracy=0.87654, forged=99)
    finish(phase, bob, 30, error=0.5, accuracy=0.5)
    finish(phase, bob, 20, status="FAILED", error=0.01)  # not finished: ignored
    finish(phase, carol, 10, status="RUNNING", error=0.0)
    data = api_for(None).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert [c["key"] for c in data["columns"]] == ["error", "accuracy"]
    assert data["columns"][0] == {"key": "error", "label": "Error", "sorting": "asc", "precision": 2, "ranks": True}
    assert [(r["rank"], r["participant"]) for r in data["rows"]] == [(1, "alice"), (2, "bob")]
    first = data["rows"][0]
    assert first["submission_id"] == best_alice.pk
    assert first["scores"] == {"error": 0.12, "accuracy": 0.877}  # rounded, declared columns only


def test_higher_is_better_and_ties_go_to_the_earlier(competition, make_phase, make_participant, finish) -> None:
    phase = make_phase(competition)  # accuracy, desc, precision 3
    late, early, low = (make_participant(competition, n) for n in ("late", "early", "low"))
    finish(phase, late, 5, accuracy=0.9)
    finish(phase, early, 50, accuracy=0.9)
    finish(phase, low, 60, accuracy=0.1)
    finish(phase, early, 1, accuracy=0.9)  # same score again, later: not the best one
    rows = leaderboard_for_phase(phase, organizer=False)["rows"]
    assert [r["participant"] for r in rows] == ["early", "late", "low"]
    early_row = rows[0]
    assert early_row["created"] < rows[1]["created"]


def test_missing_declared_score_is_null(competition, make_phase, make_participant, finish) -> None:
    phase = make_phase(competition, columns=COLUMNS)
    finish(phase, make_participant(competition, "x"), 5, error=1.0)
    assert leaderboard_for_phase(phase, organizer=False)["rows"][0]["scores"] == {"error": 1.0, "accuracy": None}


def test_phase_without_ranking_column_has_no_rows(competition, make_phase, make_participant, finish) -> None:
    phase = make_phase(competition, columns=(("accuracy", "desc", 3, False),))
    assert leaderboard_for_phase(phase, organizer=False)["rows"] == []


@pytest.mark.parametrize("count", [10, 200])
def test_constant_number_of_queries(count, competition, make_phase, make_participant, finish, api_for,
                                    django_assert_num_queries) -> None:
    phase = make_phase(competition, columns=COLUMNS)
    participants = [make_participant(competition, f"user{i}") for i in range(20)]
    for i in range(count):
        finish(phase, participants[i % 20], i, error=(i * 7919) % 101 / 100, accuracy=i / count)
    api = api_for(None)
    with django_assert_num_queries(3):  # phase, columns, rows
        data = api.get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert len(data["rows"]) == min(count, 20)
    errors = [row["scores"]["error"] for row in data["rows"]]
    assert errors == sorted(errors)


def test_the_window_sorts_only_the_columns_that_pick_and_the_picked_rows_get_their_names(
        competition, make_phase, make_participant, finish) -> None:
    phase = make_phase(competition, columns=COLUMNS)
    for name in ("ann", "ben"):
        finish(phase, make_participant(competition, name), 5, error=0.5, accuracy=0.5)
    with CaptureQueriesContext(connection) as captured:
        rows = leaderboard_for_phase(phase, organizer=False)["rows"]
    assert [row["participant"] for row in rows] == ["ann", "ben"]
    sql = next(query["sql"] for query in captured if "ROW_NUMBER" in query["sql"])
    window_select = sql[sql.rindex("SELECT", 0, sql.index("ROW_NUMBER")):sql.index("ROW_NUMBER")]
    window_from = sql[sql.index("ROW_NUMBER"):sql.index('"qualify"')]
    # Every finished submission goes through the window's sort: no JSON field, no name, no join there.
    assert "scores" not in window_select and "username" not in window_select
    assert "JOIN" not in window_from
    assert "username" in sql[:sql.index("ROW_NUMBER")]  # the names come with the picked rows only
