"""The organizer's submissions page against a real worker: cancel stops a running container; broker panel."""

from __future__ import annotations

import time

from competition.models import Submission
from tests.helpers.containers import labelled_containers
from tests.helpers.live_api import ParticipantClient
from tests.helpers.timing import wait_for


def _containers(submission_id: int) -> list:
    return labelled_containers(f"evalbox.submission={submission_id}")


def test_cancel_from_the_organizer_page_kills_the_running_container(pat: ParticipantClient, demo_phase, example_images,
                                                                    one_worker, client, organizer):
    demo_phase.time_limit_s = 120
    demo_phase.save()
    response = pat.submit(demo_phase, example_images["sleep-forever"])
    assert response.status_code == 201, response.text
    submission_id = response.json()["id"]
    wait_for(lambda: pat.submission(submission_id)["status"] == "RUNNING", 60, "the submission to run")
    wait_for(lambda: _containers(submission_id), 30, "its container to start")

    # While it runs, the broker panel shows the worker busy with it.
    client.force_login(organizer)
    slug = demo_phase.competition.slug
    fragment = client.get(f"/competitions/{slug}/submissions/broker/").content.decode()
    assert f'data-worker="{one_worker.worker_id}@' in fragment
    assert f"running #{submission_id}" in fragment
    assert 'data-role="queue-depth"' in fragment

    cancelled_at = time.monotonic()
    answer = client.post(f"/competitions/{slug}/submissions/{submission_id}/cancel/", {"back": "status=RUNNING"})
    assert answer.status_code == 302 and answer["Location"].endswith("/submissions/?status=RUNNING")
    assert Submission.objects.get(pk=submission_id).status == "CANCELLED"

    wait_for(lambda: not _containers(submission_id), 10, "the worker to kill the container", interval=0.2)
    gone_after = time.monotonic() - cancelled_at
    assert gone_after < 10
    final = pat.submission(submission_id)
    assert final["status"] == "CANCELLED" and final["failure_reason"] is None
    page = client.get(f"/competitions/{slug}/submissions/?status=CANCELLED").content.decode()
    assert f'data-id="{submission_id}" data-status="CANCELLED"' in page
