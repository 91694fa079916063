"""The participate tab says how many submissions are left (today, in total), what counts, and the phase ids."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def _left(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-role="left-today">([^<]*)</span>,\s*<span data-role="left-total">([^<]*)</span>', page)


def test_the_tab_counts_what_the_quota_counts(player_client, competition, make_phase, registration, make_submission):
    phase = make_phase(competition, "Development", max_submissions_per_day=5, max_submissions_total=10)
    make_submission(phase, registration, status="FAILED", failure_reason="non_zero_exit")
    make_submission(phase, registration, status="CANCELLED")
    make_submission(phase, registration, status="FAILED", failure_reason="worker_lost")
    make_submission(phase, registration, status="FAILED", failure_reason="image_registry_unreachable")
    page = player_client.get(f"/competitions/{competition.slug}/participate/").content.decode()
    assert _left(page) == [("3 of 5 left today", "8 of 10 left in total")]
    assert f"(phase id <code>{phase.pk}</code>)" in page
    assert f"--phase {phase.pk} IMAGE" in page
    assert "Cancelled runs and runs your image fails count" in page


def test_no_quota_and_a_spent_total(player_client, competition, make_phase, registration, make_submission):
    free = make_phase(competition, "Free", max_submissions_per_day=0, max_submissions_total=0)
    tight = make_phase(competition, "Tight", max_submissions_per_day=5, max_submissions_total=1)
    make_submission(free, registration, status="FINISHED")
    make_submission(tight, registration, status="FINISHED")
    page = player_client.get(f"/competitions/{competition.slug}/participate/").content.decode()
    assert _left(page) == [("no daily limit", "no total limit"), ("0 of 5 left today", "0 of 1 left in total")]
    assert f"Tight (id {tight.pk})</option>" in page
