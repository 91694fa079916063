"""Quotas hold under concurrent posts: real threads, real transactions (SQLite file and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from competition.models import ApiToken, Submission
from tests.helpers.site_api import submissions_url

THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("quota", [{"max_submissions_per_day": 3}, {"max_submissions_total": 2}])
def test_concurrent_posts_respect_the_quota(quota, competition, make_phase, participant) -> None:
    from django.test import Client

    fields = {"max_submissions_per_day": 0, "max_submissions_total": 0, **quota}
    phase = make_phase(competition, "Race", **fields)
    allowed = max(quota.values())
    key = ApiToken.issue(participant.user)
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []

    def post() -> None:
        client = Client(headers={"Authorization": f"Token {key}"})
        try:
            barrier.wait()
            response = client.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"},
                                   content_type="application/json")
            codes.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(codes) == [201] * allowed + [429] * (THREADS - allowed)
    assert Submission.objects.filter(phase=phase).count() == allowed
