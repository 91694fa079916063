"""The permission matrix of every endpoint, for every kind of caller."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.middleware.csrf import get_token
from django.test import Client

from competition.models import Participant, Submission
from tests.helpers.site_api import Api, submissions_url, worker_url

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "other", "pending", "owner", "organizer", "admin", "superuser", "worker"]


@dataclass
class World:
    apis: dict[str, Api]
    phase_id: int
    submission_id: int
    token: str
    other_token: str


@pytest.fixture
def world(competition, phase, participant, make_participant, make_user, make_submission, api_for, worker_api):
    pending = make_participant(competition, "penny", Participant.PENDING)
    admin = make_user("adam")
    competition.admins.add(admin)
    superuser = get_user_model().objects.create_superuser("root", password="pw")
    submission, token = make_submission(phase, participant)
    _, other_token = make_submission(phase, pending)
    apis = {
        "anonymous": api_for(None),
        "other": api_for(make_user("oscar")),
        "pending": api_for(pending.user),
        "owner": api_for(participant.user),
        "organizer": api_for(competition.created_by),
        "admin": api_for(admin),
        "superuser": api_for(superuser),
        "worker": worker_api(other_token),
    }
    return World(apis, phase.pk, submission.pk, token, other_token)


def expect(table: dict[str, int]) -> list[tuple[str, int]]:
    assert set(table) == set(ACTORS)
    return list(table.items())


@pytest.mark.parametrize(("actor", "code"), expect({
    "anonymous": 401, "other": 403, "pending": 403, "owner": 201, "organizer": 403, "admin": 403,
    "superuser": 403, "worker": 401,
}))
def test_create_submission(world, actor, code) -> None:
    response = world.apis[actor].post(submissions_url("cats"), {"phase": world.phase_id, "image": "alpine"})
    assert response.status_code == code, response.content
    assert "error" in response.json() or code == 201


@pytest.mark.parametrize(("actor", "code", "count"), [
    ("anonymous", 401, None), ("other", 200, 0), ("pending", 200, 1), ("owner", 200, 1), ("organizer", 200, 2),
    ("admin", 200, 2), ("superuser", 200, 2), ("worker", 401, None),
])
def test_list_submissions(world, actor, code, count) -> None:
    response = world.apis[actor].get(submissions_url("cats"), phase=world.phase_id)
    assert response.status_code == code
    if count is not None:
        assert response.json()["count"] == count == len(response.json()["submissions"])


@pytest.mark.parametrize(("actor", "code"), expect({
    "anonymous": 401, "other": 404, "pending": 404, "owner": 200, "organizer": 200, "admin": 200,
    "superuser": 200, "worker": 401,
}))
def test_show_submission(world, actor, code) -> None:
    assert world.apis[actor].get(f"/api/submissions/{world.submission_id}/").status_code == code


@pytest.mark.parametrize(("actor", "code"), expect({
    "anonymous": 401, "other": 404, "pending": 404, "owner": 200, "organizer": 200, "admin": 200,
    "superuser": 200, "worker": 401,
}))
def test_cancel_submission(world, actor, code) -> None:
    response = world.apis[actor].post(f"/api/submissions/{world.submission_id}/cancel/")
    assert response.status_code == code
    status = Submission.objects.get(pk=world.submission_id).status
    assert status == ("CANCELLED" if code == 200 else "SUBMITTED")


@pytest.mark.parametrize(("actor", "code"), expect({
    "anonymous": 401, "other": 404, "pending": 404, "owner": 403, "organizer": 200, "admin": 200,
    "superuser": 200, "worker": 401,
}))
def test_rerun_submission(world, actor, code) -> None:
    Submission.objects.filter(pk=world.submission_id).update(status="FAILED", failure_reason="worker_lost")
    response = world.apis[actor].post(f"/api/submissions/{world.submission_id}/rerun/")
    assert response.status_code == code
    submission = Submission.objects.get(pk=world.submission_id)
    assert (submission.status, submission.attempt) == (("SUBMITTED", 2) if code == 200 else ("FAILED", 1))


@pytest.mark.parametrize("published", [True, False])
@pytest.mark.parametrize("actor", ACTORS)
def test_leaderboard(world, competition, actor, published) -> None:
    competition.published = published
    competition.save()
    code = 200 if published or actor in ("organizer", "admin", "superuser") else 404
    assert world.apis[actor].get(f"/api/phases/{world.phase_id}/leaderboard/").status_code == code


@pytest.mark.parametrize(("actor", "code"), expect({
    "anonymous": 401, "other": 201, "pending": 200, "owner": 200, "organizer": 201, "admin": 201,
    "superuser": 201, "worker": 401,
}))
def test_register(world, actor, code) -> None:
    response = world.apis[actor].post("/api/competitions/cats/register/")
    assert response.status_code == code
    if code in (200, 201):
        expected = "pending" if actor == "pending" else "approved"
        assert response.json()["status"] == expected


def test_register_waits_for_approval_when_not_automatic(world, competition) -> None:
    competition.auto_approve_participants = False
    competition.save()
    response = world.apis["other"].post("/api/competitions/cats/register/")
    assert (response.status_code, response.json()["status"]) == (201, "pending")


@pytest.mark.parametrize("actor", ACTORS)
def test_unpublished_competition_is_hidden_from_all_but_organizers(world, competition, actor) -> None:
    competition.published = False
    competition.save()
    response = world.apis[actor].get(submissions_url("cats"))
    expected = {"anonymous": 401, "worker": 401, "organizer": 200, "admin": 200, "superuser": 200}.get(actor, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("actor", ["owner", "organizer", "superuser", "worker"])
@pytest.mark.parametrize("path", ["status", "logs", "result", "input-data", "reference-data"])
def test_worker_endpoints_take_only_the_submission_token(world, actor, path) -> None:
    api = world.apis[actor]
    url = worker_url(world.submission_id, path)
    response = api.post(url, {"status": "RUNNING"}) if path in ("status", "logs", "result") else api.get(url)
    assert response.status_code == 401
    assert Submission.objects.get(pk=world.submission_id).status == "SUBMITTED"


def test_session_needs_csrf_and_token_does_not(world, participant, rf) -> None:
    body = {"phase": world.phase_id, "image": "alpine"}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(participant.user)
    refused = browser.post(submissions_url("cats"), body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    page_request = rf.get("/")
    token = get_token(page_request)  # what a page of the site hands to its JavaScript
    browser.cookies["csrftoken"] = page_request.META["CSRF_COOKIE"]
    accepted = browser.post(submissions_url("cats"), body, content_type="application/json",
                            headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content
    scripted = world.apis["owner"]
    scripted.client = Client(enforce_csrf_checks=True)
    assert scripted.post(submissions_url("cats"), body).status_code == 201


def test_wrong_api_token_is_401(world) -> None:
    api = Api(Client(), {"Authorization": "Token not-a-key"})
    assert api.get(submissions_url("cats")).status_code == 401


@pytest.mark.parametrize("see_logs", [True, False])
def test_logs_only_when_allowed_or_organizer(world, competition, see_logs) -> None:
    competition.participants_see_logs = see_logs
    competition.save()
    Submission.objects.filter(pk=world.submission_id).update(participant_log="secret")
    owner_view = world.apis["owner"].get(f"/api/submissions/{world.submission_id}/").json()
    organizer_view = world.apis["organizer"].get(f"/api/submissions/{world.submission_id}/").json()
    assert organizer_view["logs"]["participant"] == "secret"
    assert owner_view["logs"] == ({"participant": "secret", "scoring": ""} if see_logs else None)
