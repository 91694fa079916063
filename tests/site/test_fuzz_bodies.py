"""No input, however malformed, makes the API answer 500: every error is JSON with a message."""

from __future__ import annotations

import json
import random

import pytest
from django.test import Client

from tests.helpers.site_api import submissions_url, worker_url

pytestmark = pytest.mark.django_db

RAW_BODIES: list[tuple[bytes | str, str]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    (b"1" * 5000, "application/json"),
    (b'{"a": NaN}', "application/json"),
    (b"phase=1&image=alpine", "application/x-www-form-urlencoded"),
    (b"<xml/>", "text/xml"),
    (b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
    (b"whatever", "multipart/form-data"),
]

VALUES = [None, True, False, 0, -1, 1, 2**63, 10**30, 1.5, float("inf"), "", "1", "abc", "9" * 40, [], [1], {},
          {"a": 1}, "x" * 10_000, "\u0000", "RUNNING", "FINISHED", "FAILED", "alpine", "participant"]
KEYS = ["phase", "image", "status", "message", "elapsed_s", "attempt", "stream", "text", "scores",
        "failure_reason", "exit_code", "duration_s", "image_labels", "timings", "peak_memory_bytes", "predictions"]


def random_bodies(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        body = {rng.choice(KEYS): rng.choice(VALUES) for _ in range(rng.randint(0, 6))}
        if rng.random() < 0.3:
            body["scores"] = {rng.choice(["accuracy", "", "x" * 100]): rng.choice(VALUES) for _ in range(3)}
        bodies.append(body)
    return bodies


@pytest.fixture
def urls(phase, participant, make_submission) -> list[str]:
    submission, _ = make_submission(phase, participant)
    return [
        submissions_url("cats"),
        "/api/competitions/cats/register/",
        f"/api/submissions/{submission.pk}/cancel/",
        f"/api/submissions/{submission.pk}/rerun/",
        *(worker_url(submission.pk, path) for path in ("status", "logs", "result")),
    ]


def assert_json_answer(response) -> None:
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert response.json()["error"]


def test_raw_bodies_to_every_endpoint(urls, participant, make_submission, phase, api_for) -> None:
    people = Client(headers=api_for(participant.user).headers)
    _, token = make_submission(phase, participant)
    worker = Client(headers={"Authorization": f"Bearer {token}"})
    for url in urls:
        for body, content_type in RAW_BODIES:
            for client in (people, worker):
                assert_json_answer(client.post(url, body, content_type=content_type))


def test_random_json_bodies(urls, participant, phase, make_submission, api_for) -> None:
    submission, token = make_submission(phase, participant, status="RUNNING")
    people = Client(headers=api_for(participant.user).headers)
    worker = Client(headers={"Authorization": f"Bearer {token}"})
    targets = [*urls, *(worker_url(submission.pk, path) for path in ("status", "logs", "result"))]
    for body in random_bodies(150):
        data = json.dumps(body)
        for url in targets:
            client = worker if "/worker/" in url else people
            assert_json_answer(client.post(url, data, content_type="application/json"))


@pytest.mark.parametrize("path", [
    "/api/submissions/99999999999999999999999/", "/api/submissions/9223372036854775807/",
    "/api/submissions/-1/", "/api/submissions/abc/", "/api/phases/99999999999999999999/leaderboard/",
    "/api/phases/999999999999999999/leaderboard/", "/api/worker/submissions/99999999999999999999/status",
    "/api/competitions/%00/submissions/", "/api/competitions/no-such/submissions/", "/api/nothing/here",
])
def test_odd_urls(path, participant, api_for) -> None:
    api = api_for(participant.user)
    assert_json_answer(api.get(path))
    assert_json_answer(api.post(path, {}))


@pytest.mark.parametrize("query", [{"phase": "9" * 40}, {"phase": "-3"}, {"limit": "0"}, {"limit": "x"},
                                   {"offset": "-1"}, {"phase": "\u00e9"}, {"status": ""}])
def test_odd_queries(query, participant, api_for) -> None:
    assert_json_answer(api_for(participant.user).get(submissions_url("cats"), **query))


def test_wrong_methods_are_405_json(participant, api_for, phase) -> None:
    api = api_for(participant.user)
    response = api.client.put(submissions_url("cats"), "{}", content_type="application/json", headers=api.headers)
    assert response.status_code == 405 and response.json()["allowed"] == ["GET", "POST", "HEAD"]
    assert api.post(f"/api/phases/{phase.pk}/leaderboard/", {}).status_code == 405


def test_oversized_body_is_413(participant, api_for, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_for(participant.user).post(submissions_url("cats"), {"image": "x" * 2000})
    assert response.status_code == 413 and response.json()["error"]
