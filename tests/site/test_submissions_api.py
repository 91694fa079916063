"""The participant API: submitting (image or predictions upload), quotas, listing, cancel, rerun."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from competition.auth import token_matches
from competition.models import Submission
from tests.helpers.archives import zip_bytes
from tests.helpers.site_api import submissions_url, worker_url

pytestmark = pytest.mark.django_db

SUBMISSION_KEYS = {
    "id", "status", "image", "image_typed", "image_pinned", "phase", "phase_name", "participant", "created",
    "queued_at", "started_at", "scoring_at", "finished_at", "elapsed_s", "time_limit_s", "status_message",
    "failure_reason", "failure_label", "failure_message", "exit_code", "duration_s", "image_digest", "scores", "logs",
    "can_cancel", "team", "scores_hidden", "scores_message", "detailed_results_url", "final", "can_mark_final",
    "progress", "progress_message", "metadata",
}


def zip_upload(name: str = "predictions.zip", members: dict[str, bytes] | None = None) -> io.BytesIO:
    """A zip file to upload as ``name``."""
    upload = io.BytesIO(zip_bytes(members or {"predictions.csv": b"1\n"}))
    upload.name = name
    return upload


def token_client(api) -> Client:
    """A plain client carrying the API's Authorization header (for multipart posts)."""
    return Client(headers=api.headers)


def test_submission_json_has_every_key(api_for, participant, phase) -> None:
    response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine:3"})
    assert response.status_code == 201
    data = response.json()
    assert set(data) == SUBMISSION_KEYS
    assert data["participant"] == "pat" and data["phase_name"] == "Development" and data["time_limit_s"] == 600
    assert data["can_cancel"] is True and data["scores"] == [] and data["logs"] is None


def test_docker_submission_off_refuses_an_image(api_for, participant, phase, competition) -> None:
    competition.enable_docker_submission = False
    competition.save()
    response = api_for(participant.user).post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    assert response.status_code == 403
    assert "Docker submission is disabled" in response.json()["error"]


def test_closed_phase_is_403(api_for, participant, make_phase, competition) -> None:
    future = make_phase(competition, "Final", open_=False)
    past = make_phase(competition, "Past", start=timezone.now() - timedelta(days=2),
                      end=timezone.now() - timedelta(days=1))
    api = api_for(participant.user)
    for closed in (future, past):
        response = api.post(submissions_url("cats"), {"phase": closed.pk, "image": "alpine"})
        assert response.status_code == 403 and "not open" in response.json()["error"]


def test_phase_of_another_competition_is_400(api_for, participant, make_competition, make_phase) -> None:
    elsewhere = make_phase(make_competition("dogs"))
    response = api_for(participant.user).post(submissions_url("cats"), {"phase": elsewhere.pk, "image": "alpine"})
    assert response.status_code == 400 and "phase" in response.json()["errors"]


def test_daily_and_total_quotas(api_for, participant, make_phase, competition) -> None:
    phase = make_phase(competition, "Quota", max_submissions_per_day=2, max_submissions_total=3)
    api = api_for(participant.user)
    post = lambda: api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})  # noqa: E731
    assert [post().status_code for _ in range(2)] == [201, 201]
    daily = post()
    assert daily.status_code == 429 and "today's 2 submissions" in daily.json()["error"]
    Submission.objects.update(created=timezone.now() - timedelta(days=1))
    assert post().status_code == 201
    total = post()
    assert total.status_code == 429 and "all 3 submissions" in total.json()["error"]


def test_a_post_reads_the_competition_with_the_caller_s_role_and_counts_the_quotas_in_one_query_each(
        api_for, participant, make_phase, competition, make_user) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    phase = make_phase(competition, "Quota", max_submissions_per_day=2, max_submissions_total=3)
    api = api_for(participant.user)
    with CaptureQueriesContext(connection) as captured:
        assert api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).status_code == 201
    sql = [query["sql"] for query in captured]
    admins = [q for q in sql if "competition_competition_admins" in q]
    assert len(admins) == 1 and '"competition_competition"."slug" =' in admins[0], sql  # one query, the row's
    assert len([q for q in sql if q.startswith("SELECT COUNT(")]) == 1, sql
    co = make_user("cora")  # an admin (not the creator) is an organizer: everyone's submissions are listed
    competition.admins.add(co)
    listed = api_for(co).get(submissions_url("cats"), phase=phase.pk).json()
    assert listed["count"] == 1 and listed["submissions"][0]["participant"] == participant.user.username


@pytest.mark.parametrize("reason", ["worker_lost", "worker_error", "image_registry_unreachable", "scoring_error"])
def test_failures_of_the_platform_do_not_count(api_for, participant, make_phase, competition, reason) -> None:
    phase = make_phase(competition, "Quota", max_submissions_per_day=1, max_submissions_total=0)
    api = api_for(participant.user)
    first = api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    Submission.objects.filter(pk=first.json()["id"]).update(status="FAILED", failure_reason=reason)
    assert api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).status_code == 201
    assert api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).status_code == 429


def test_results_upload_when_docker_submission_is_off(api_for, participant, phase, competition,
                                                      django_capture_on_commit_callbacks) -> None:
    competition.enable_docker_submission = False
    competition.save()
    client = token_client(api_for(participant.user))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(submissions_url("cats"), {"phase": phase.pk, "predictions": zip_upload()})
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(pk=response.json()["id"])
    assert submission.image == "" and len(submission.predictions_sha256) == 64
    assert submission.predictions.read().startswith(b"PK")
    assert submission.status == "QUEUED"


def test_unsafe_predictions_are_400(api_for, participant, phase, competition) -> None:
    competition.enable_docker_submission = False
    competition.save()
    client = token_client(api_for(participant.user))
    response = client.post(submissions_url("cats"),
                           {"phase": phase.pk, "predictions": zip_upload(members={"../x": b"1"})})
    assert response.status_code == 400
    assert "'..'" in response.json()["errors"]["predictions"][0]
    missing = client.post(submissions_url("cats"), {"phase": phase.pk})
    assert missing.status_code == 400 and "predictions" in missing.json()["errors"]
    assert Submission.objects.count() == 0


def test_upload_when_docker_submission_is_on_is_403(api_for, participant, phase) -> None:
    client = token_client(api_for(participant.user))
    response = client.post(submissions_url("cats"), {"phase": phase.pk, "predictions": zip_upload()})
    assert response.status_code == 403 and "not predictions uploads" in response.json()["error"]


def test_organizer_filters(api_for, competition, phase, make_participant, make_submission) -> None:
    alice, bob = make_participant(competition, "alice"), make_participant(competition, "bob")
    make_submission(phase, alice, status="FINISHED")
    make_submission(phase, alice)
    make_submission(phase, bob)
    api = api_for(competition.created_by)
    assert api.get(submissions_url("cats")).json()["count"] == 3
    assert api.get(submissions_url("cats"), participant="alice").json()["count"] == 2
    assert api.get(submissions_url("cats"), status="FINISHED").json()["count"] == 1
    assert api.get(submissions_url("cats"), phase=phase.pk, limit=1).json()["count"] == 3
    assert len(api.get(submissions_url("cats"), limit=1, offset=1).json()["submissions"]) == 1
    assert api.get(submissions_url("cats"), status="NOPE").status_code == 400
    assert api.get(submissions_url("cats"), phase="x").status_code == 400


def test_list_queries_do_not_grow_with_submissions(api_for, participant, phase, make_submission,
                                                   django_assert_max_num_queries) -> None:
    for _ in range(30):
        make_submission(phase, participant)
    api = api_for(participant.user)
    with django_assert_max_num_queries(8):
        assert api.get(submissions_url("cats"), phase=phase.pk).json()["count"] == 30


def test_cancel_a_final_submission_is_409(api_for, participant, phase, make_submission) -> None:
    submission, _ = make_submission(phase, participant, status="FINISHED")
    response = api_for(participant.user).post(f"/api/submissions/{submission.pk}/cancel/")
    assert response.status_code == 409 and response.json()["status"] == "FINISHED"


def test_rerun_resets_and_dispatches(api_for, competition, participant, phase, make_submission,
                                     django_capture_on_commit_callbacks) -> None:
    submission, old_token = make_submission(phase, participant, status="FAILED", failure_reason="worker_lost",
                                            participant_log="old", rank_score=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(competition.created_by).post(f"/api/submissions/{submission.pk}/rerun/")
    assert response.status_code == 200
    submission.refresh_from_db()
    assert (submission.status, submission.attempt, submission.failure_reason) == ("QUEUED", 2, "")
    assert submission.participant_log == "" and submission.rank_score is None
    assert not token_matches(old_token, submission.token_hash)


@pytest.mark.parametrize("status, reason", [("FAILED", "image_not_found"), ("FAILED", "non_zero_exit"),
                                            ("CANCELLED", "")])
def test_failures_of_the_image_and_cancelled_runs_count(api_for, participant, make_phase, competition,
                                                        status, reason) -> None:
    phase = make_phase(competition, "Quota", max_submissions_per_day=1, max_submissions_total=0)
    api = api_for(participant.user)
    first = api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"})
    Submission.objects.filter(pk=first.json()["id"]).update(status=status, failure_reason=reason)
    assert api.post(submissions_url("cats"), {"phase": phase.pk, "image": "alpine"}).status_code == 429


def test_a_worker_errors_own_words_reach_organizers_only(api_for, participant, phase, organizer, make_submission):
    leaky = "Unexpected worker error: ConnectionError: HTTPConnectionPool(host='10.0.3.7', port=2375)"
    submission, _ = make_submission(phase, participant, status="FAILED", failure_reason="worker_error",
                                    failure_message=leaky)
    mine = api_for(participant.user).get(f"/api/submissions/{submission.pk}/").json()
    assert "10.0.3.7" not in mine["failure_message"] and "cost no submission" in mine["failure_message"]
    assert api_for(organizer).get(f"/api/submissions/{submission.pk}/").json()["failure_message"] == leaky


def test_the_workers_detail_of_a_failure_reaches_organizers_only(api_for, participant, phase, organizer,
                                                                  make_submission, worker_api, client) -> None:
    submission, token = make_submission(phase, participant, status="RUNNING")
    detail = ("The Docker engine refused the pull (HTTP 500): Get \"https://reg.example/v2/\": dial tcp: "
              "lookup reg.example on 10.0.3.53:53: no such host")
    body = {"status": "FAILED", "failure_reason": "image_registry_unreachable", "failure_detail": detail,
            "failure_message": "The registry of reg.example/team/model:v1 could not be reached from the worker."}
    assert worker_api(token).post(worker_url(submission.pk, "result"), body).status_code == 200
    submission.refresh_from_db()
    assert (submission.status, submission.failure_detail) == ("FAILED", detail)
    assert api_for(organizer).get(f"/api/submissions/{submission.pk}/").json()["failure_detail"] == detail
    mine = api_for(participant.user).get(f"/api/submissions/{submission.pk}/")
    assert "failure_detail" not in mine.json() and "10.0.3.53" not in mine.content.decode()
    client.force_login(organizer)
    tab = client.get(f"/competitions/{phase.competition.slug}/submissions/").content.decode()
    assert "lookup reg.example on 10.0.3.53:53: no such host" in tab
    client.force_login(participant.user)
    for page in (f"/competitions/{phase.competition.slug}/participate/",
                 f"/competitions/{phase.competition.slug}/submissions/{submission.pk}/"):
        answer = client.get(page)
        assert answer.status_code == 200 and "10.0.3.53" not in answer.content.decode(), page
