"""Detailed results: stored from the worker's result, served from their own URL under a sandbox policy,
framed by a site page (never inline), to whom the phase allows."""

from __future__ import annotations

import re

import pytest

from competition.actions import rerun_submission
from competition.models import Submission
from competition.project.headers import CONTENT_SECURITY_POLICY, DETAILED_RESULTS_POLICY
from tests.helpers.site_api import worker_url

pytestmark = pytest.mark.django_db

HOSTILE = "<h1>Per class</h1><script>document.title='ran'</script>"


@pytest.fixture
def scored(phase, registration, make_submission, worker_api):
    """``player``'s submission, finished through the worker API with detailed results; its two URLs."""
    phase.show_detailed_results = True
    phase.save()
    submission, token = make_submission(phase, registration, status="SCORING")
    body = {"status": "FINISHED", "scores": {"accuracy": 0.5}, "detailed_results": HOSTILE}
    assert worker_api(token).post(worker_url(submission.pk, "result"), body).status_code == 200
    base = f"/competitions/cats/submissions/{submission.pk}/results/"
    return Submission.objects.get(pk=submission.pk), base, base + "document"


def test_the_document_is_sandboxed_and_framed_by_the_site_only(scored, player_client) -> None:
    submission, page_url, document_url = scored
    assert submission.detailed_results == HOSTILE
    document = player_client.get(document_url)
    assert document.status_code == 200 and document.content.decode() == HOSTILE
    assert document["Content-Type"] == "text/html; charset=utf-8"
    assert document["Content-Security-Policy"] == DETAILED_RESULTS_POLICY
    policy = dict(part.split(" ", 1) if " " in part else (part, "") for part in DETAILED_RESULTS_POLICY.split("; "))
    assert "sandbox" in policy and policy["script-src"] == "'none'" and policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'self'" and policy["connect-src"] == "'none'"
    assert document["X-Content-Type-Options"] == "nosniff" and document["X-Frame-Options"] == "SAMEORIGIN"
    assert player_client.head(document_url).status_code == 200
    page = player_client.get(page_url)
    html = page.content.decode()
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY and "frame-src 'self'" in CONTENT_SECURITY_POLICY
    assert page["X-Frame-Options"] == "DENY"
    assert re.search(rf'<iframe class="detailed-results" sandbox src="{re.escape(document_url)}"', html)
    assert "Per class" not in html and "<script>document" not in html  # never inline in a site page
    participate = player_client.get("/competitions/cats/participate/").content.decode()
    assert f'href="{page_url}" data-role="detailed-results"' in participate


def test_only_when_the_phase_allows_it_and_the_organizer_always(scored, player_client, client, organizer,
                                                                stranger) -> None:
    submission, page_url, document_url = scored
    submission.phase.show_detailed_results = False
    submission.phase.save()
    assert player_client.get(document_url).status_code == 404
    assert player_client.get(page_url).status_code == 404
    assert player_client.get(f"/api/submissions/{submission.pk}/").json()["detailed_results_url"] is None
    client.force_login(stranger)
    assert client.get(document_url).status_code == 404
    client.force_login(organizer)
    assert client.get(document_url).status_code == 200 and client.get(page_url).status_code == 200


def test_a_rerun_or_a_failure_clears_them(scored, player_client) -> None:
    submission, _, document_url = scored
    rerun_submission(submission.pk)
    assert Submission.objects.get(pk=submission.pk).detailed_results == ""
    assert player_client.get(document_url).status_code == 404
