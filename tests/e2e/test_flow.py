"""The mission end to end: participant API -> site -> RabbitMQ -> compute worker -> Docker -> site."""

from __future__ import annotations

import re

import pytest

from competition.models import Submission
from tests.helpers.live_api import ParticipantClient
from tests.helpers.processes import finished_by


def test_good_image_goes_through_every_state_and_reaches_the_leaderboard(pat: ParticipantClient, demo_phase,
                                                                         example_images, one_worker):
    response = pat.submit(demo_phase, example_images["participant"])
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] in {"SUBMITTED", "QUEUED"}
    assert created["image"] == "docker.io/" + example_images["participant"]

    final = pat.wait_final(created["id"])
    assert final["status"] == "FINISHED", final
    assert {s["key"]: s["value"] for s in final["scores"]} == {"accuracy": 0.9, "macro_f1": 0.9}
    # Every state was entered, in order (each transition stamps its time).
    stored = Submission.objects.get(pk=created["id"])
    assert stored.created <= stored.queued_at <= stored.started_at <= stored.scoring_at <= stored.finished_at
    assert stored.image_digest.startswith("sha256:")
    assert stored.image_labels.get("org.opencontainers.image.title")
    assert stored.exit_code == 0 and stored.duration_s > 0
    assert set(stored.timings) >= {"participant_run", "scoring"}

    board = pat.leaderboard(demo_phase)
    assert [(row["rank"], row["participant"], row["submission_id"]) for row in board["rows"]] == [
        (1, "pat", created["id"])
    ]
    assert board["rows"][0]["scores"] == {"accuracy": 0.9, "macro_f1": 0.9}


@pytest.mark.parametrize(
    ("image_name", "reason", "message"),
    [
        ("missing", "image_not_found", r"is not on this worker"),
        ("exit-nonzero", "non_zero_exit", r"exited with code 3"),
        ("sleep-forever", "time_limit", r"time limit of 3 s"),
        ("bad-output", "bad_output", r"rejected your output"),
    ],
)
def test_bad_images_fail_with_the_right_reason(pat: ParticipantClient, demo_phase, example_images, one_worker,
                                               image_name, reason, message):
    demo_phase.time_limit_s = 3
    demo_phase.save()
    image = example_images.get(image_name, "evalbox-examples/does-not-exist:latest")
    response = pat.submit(demo_phase, image)
    assert response.status_code == 201, response.text

    final = pat.wait_final(response.json()["id"], timeout=60)
    assert final["status"] == "FAILED", final
    assert final["failure_reason"] == reason
    assert re.search(message, final["failure_message"], re.IGNORECASE), final["failure_message"]
    if image_name == "exit-nonzero":
        assert final["exit_code"] == 3
        assert "model weights not found" in final["logs"]["participant"]
    assert pat.leaderboard(demo_phase)["rows"] == []


def test_docker_submission_off_refuses_images(pat: ParticipantClient, demo_phase, example_images):
    competition = demo_phase.competition
    competition.enable_docker_submission = False
    competition.save()
    response = pat.submit(demo_phase, example_images["participant"])
    assert response.status_code == 403
    assert "docker submission" in response.json()["error"].lower()
    assert not Submission.objects.exists()


def test_two_workers_split_a_batch_and_evaluate_each_submission_once(pat: ParticipantClient, demo_phase, example_images,
                                                                     workers):
    batch = 20
    with workers(2) as (first, second):
        ids = []
        for _ in range(batch):
            response = pat.submit(demo_phase, example_images["participant"])
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        finals = [pat.wait_final(submission_id, timeout=240) for submission_id in ids]
        done = finished_by((first, second))

    assert [f["status"] for f in finals] == ["FINISHED"] * batch
    # Each worker logs one "finished" line per submission it evaluated.
    evaluated = done[first.worker_id] + done[second.worker_id]
    assert sorted(evaluated) == sorted(ids)
    assert set(evaluated.values()) == {1}, f"some submission was evaluated twice: {evaluated}"
    assert done[first.worker_id] and done[second.worker_id], f"one worker did everything: {done}"
    assert Submission.objects.filter(pk__in=ids, attempt=1).count() == batch
