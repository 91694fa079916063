"""The sweep: re-dispatch SUBMITTED, fail silent RUNNING/SCORING (worker lost), leave QUEUED alone."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from competition.models import Submission
from competition.project.celery import app
from competition.sweep import sweep
from competition.tasks import sweep_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def ago():
    now = timezone.now()
    return lambda seconds: now - timedelta(seconds=seconds)


def test_submitted_is_sent_again_only_when_stale(phase, participant, make_submission, ago, settings) -> None:
    settings.EVALBOX_REDISPATCH_AFTER_S = 10
    fresh, _ = make_submission(phase, participant, created=ago(2))
    stale, _ = make_submission(phase, participant, created=ago(60))
    retried_recently, _ = make_submission(phase, participant, created=ago(600), dispatched_at=ago(3))
    result = sweep()
    assert (result.redispatched, result.still_submitted) == (1, 0)
    statuses = {s.pk: s.status for s in Submission.objects.all()}
    assert statuses == {fresh.pk: "SUBMITTED", stale.pk: "QUEUED", retried_recently.pk: "SUBMITTED"}


@pytest.mark.parametrize("state", ["RUNNING", "SCORING"])
def test_silent_runs_fail_as_worker_lost(state, phase, participant, make_submission, ago, settings) -> None:
    settings.EVALBOX_HEARTBEAT_MARGIN_S = 100
    limit = phase.time_limit_s  # 600
    lost, _ = make_submission(phase, participant, status=state, started_at=ago(2000), last_heartbeat=ago(limit + 101))
    alive, _ = make_submission(phase, participant, status=state, started_at=ago(2000), last_heartbeat=ago(limit + 99))
    never_beat, _ = make_submission(phase, participant, status=state, started_at=ago(limit + 200))
    result = sweep()
    assert result.failed_lost == 2
    lost.refresh_from_db()
    alive.refresh_from_db()
    never_beat.refresh_from_db()
    assert (lost.status, lost.failure_reason) == ("FAILED", "worker_lost")
    assert "No news from the worker" in lost.failure_message and lost.finished_at
    assert alive.status == state
    assert never_beat.status == "FAILED"


def test_queued_is_left_alone_but_counted(phase, participant, make_submission, ago, settings) -> None:
    settings.EVALBOX_QUEUED_WARNING_S = 3600
    old, _ = make_submission(phase, participant, status="QUEUED", created=ago(10 * 86400), queued_at=ago(9 * 86400))
    make_submission(phase, participant, status="QUEUED", queued_at=ago(60))
    result = sweep()
    assert (result.queued_long, result.failed_lost, result.redispatched) == (1, 0, 0)
    old.refresh_from_db()
    assert old.status == "QUEUED"


def test_final_submissions_are_untouched(phase, participant, make_submission, ago) -> None:
    for state in ("FINISHED", "FAILED", "CANCELLED"):
        make_submission(phase, participant, status=state, created=ago(10**6), started_at=ago(10**6))
    assert sweep().as_dict() == {"redispatched": 0, "still_submitted": 0, "failed_lost": 0, "queued_long": 0}


def test_command_and_beat_task(phase, participant, make_submission, ago, capsys) -> None:
    make_submission(phase, participant, created=ago(3600))
    call_command("sweep")
    assert json.loads(capsys.readouterr().out)["redispatched"] == 1
    assert sweep_task() == {"redispatched": 0, "still_submitted": 0, "failed_lost": 0, "queued_long": 0}
    schedule = app.conf.beat_schedule["evalbox-sweep"]
    assert schedule["task"] == sweep_task.name == "competition.sweep"
