"""The submissions table rendered server-side: the same keys as the JSON, hostile text escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competition.models import Participant

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def table(client, competition, phase) -> str:
    html = client.get(reverse("competition_participate", args=[competition.slug]), {"phase": phase.pk}).content.decode()
    match = re.search(r'<div id="submissions".*?</table>', html, re.S)
    assert match, "no submissions table"
    return match.group(0)


def test_table_has_the_live_polling_urls(player_client, competition, phase, registration):
    html = table(player_client, competition, phase)
    assert f'data-list-url="/api/competitions/cats/submissions/?phase={phase.pk}&amp;participant=pat"' in html
    assert 'data-cancel-url="/api/submissions/{id}/cancel/"' in html
    assert "No submission yet." in html


def test_rows_show_progress_failure_scores_and_cancel(
    player_client, competition, phase, registration, make_submission
):
    now = timezone.now()
    running, _ = make_submission(phase, registration, status="RUNNING", started_at=now - timedelta(seconds=30),
                              elapsed_s=150.0)
    failed, _ = make_submission(phase, registration, status="FAILED", failure_reason="out_of_memory",
                             failure_message="Killed at 2048 MB")
    finished, _ = make_submission(phase, registration, status="FINISHED", scores={"accuracy": 0.912345, "secret": 7})
    html = table(player_client, competition, phase)
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr data-id="(\d+)".*?</tr>', html, re.S)}
    assert set(rows) == {running.pk, failed.pk, finished.pk}
    assert '<progress class="elapsed" max="100" value="25"' in rows[running.pk]
    assert "150 s / 600 s" in rows[running.pk]
    assert "Cancel</button>" in rows[running.pk]
    assert "Out of memory" in rows[failed.pk] and "Killed at 2048 MB" in rows[failed.pk]
    assert "Cancel</button>" not in rows[failed.pk]
    assert "<dt>Accuracy</dt><dd>0.912</dd>" in rows[finished.pk]
    assert "secret" not in rows[finished.pk]  # undeclared keys never shown
    assert "text-bg-success" in rows[finished.pk]


def test_logs_hidden_unless_the_organizer_allows(player_client, competition, phase, registration, make_submission):
    make_submission(phase, registration, status="FAILED", participant_log="hidden data here")
    assert "hidden data here" not in table(player_client, competition, phase)
    competition.participants_see_logs = True
    competition.save()
    html = table(player_client, competition, phase)
    assert "<summary>Participant log</summary>" in html and "hidden data here" in html


def test_hostile_logs_and_image_are_escaped(player_client, competition, phase, registration, make_submission):
    competition.participants_see_logs = True
    competition.save()
    make_submission(
        phase, registration, status="FAILED", image=HOSTILE, image_typed=HOSTILE, participant_log=HOSTILE,
        scoring_log=HOSTILE, failure_reason="non_zero_exit", failure_message=HOSTILE, status_message=HOSTILE,
    )
    html = player_client.get(reverse("competition_participate", args=[competition.slug])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_other_participants_submissions_are_not_shown(
    player_client, competition, phase, registration, make_submission, stranger
):
    theirs = Participant.objects.create(competition=competition, user=stranger, status=Participant.APPROVED)
    make_submission(phase, theirs, image="docker.io/sam/secret-model:1")
    assert "secret-model" not in table(player_client, competition, phase)
