"""Malformed image references: refused by the site's API before anything is stored or sent, and by the worker.

The table is the grammar table (:data:`tests.helpers.reference_table.BAD`). The
browser form is covered by the browser tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from competition.models import ApiToken, Submission
from compute_worker import protocol
from compute_worker.tasks import handle_message
from tests.helpers.reference_table import BAD
from tests.helpers.site_api import submissions_url
from tests.helpers.stub_site import StubSite
from tests.helpers.worker_requests import make_request

TYPED = [typed for typed, _ in BAD]
IDS = [repr(typed)[:40] for typed in TYPED]


@pytest.mark.django_db(transaction=True)
def test_every_bad_reference_is_refused_by_the_api(settings, tmp_path: Path, participant, phase) -> None:
    broker = tmp_path / "broker"
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = broker
    client = Client()
    headers = {"Authorization": f"Token {ApiToken.issue(participant.user)}"}
    for typed, problem in BAD:
        response = client.post(submissions_url(phase.competition.slug), json.dumps({"phase": phase.pk, "image": typed}),
                               content_type="application/json", headers=headers)
        assert response.status_code == 400, (typed, response.content)
        assert problem in response.json()["errors"]["image"][0], (typed, response.json())
    assert Submission.objects.count() == 0
    sent = [path for path in broker.rglob("*") if path.is_file()] if broker.exists() else []
    assert sent == []  # nothing reached the broker, so no worker ever saw these strings


@pytest.mark.parametrize(("typed", "problem"), BAD, ids=IDS)
def test_every_bad_reference_is_refused_by_the_worker(worker_config, stub_site: StubSite, typed: object,
                                                      problem: str) -> None:
    """A message that bypassed the site (or a forged one) is refused before Docker is touched."""
    kwargs = {**make_request(stub_site, "evalbox-test/busybox", "evalbox-test/scorer"), "image": typed}
    summary = handle_message(kwargs, config=worker_config)
    result = stub_site.result()
    assert summary["failure_reason"] == result["failure_reason"] == protocol.FailureReason.INVALID_REQUEST.value
    assert "The worker refused the request" in result["failure_message"], result
    assert stub_site.posts("status") == []  # never started
