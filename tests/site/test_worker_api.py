"""The worker API: tokens, the state machine on every pair of states, heartbeats, results, data."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile

from competition.models import Submission
from compute_worker.protocol import Status
from tests.helpers.archives import zip_bytes
from tests.helpers.site_api import worker_url

pytestmark = pytest.mark.django_db

S = Status
ALL = list(Status)
FINAL = {S.FINISHED, S.FAILED, S.CANCELLED}
#: The state each report may come from, written out from docs/architecture.md ("States"): no
#: state is skipped (RUNNING may come before the site recorded QUEUED: the dispatch race).
REPORTED_FROM = {S.RUNNING: {S.SUBMITTED, S.QUEUED}, S.SCORING: {S.RUNNING}, S.FINISHED: {S.SCORING},
                 S.FAILED: {S.SUBMITTED, S.QUEUED, S.RUNNING, S.SCORING}}


def expected_status_answer(current: Status, reported: Status) -> tuple[int, Status]:
    """(HTTP code, resulting state) of a status report."""
    if reported == current:
        return 200, current  # heartbeat
    if current in REPORTED_FROM[reported]:
        return 200, reported
    return 409, current


def expected_result_answer(current: Status, reported: Status) -> tuple[int, Status]:
    if current == reported:
        return 200, current  # a repeated result is a no-op
    if current in REPORTED_FROM[reported]:
        return 200, reported
    return 409, current


def result_body(status: Status, **extra) -> dict:
    if status is S.FINISHED:
        return {"status": "FINISHED", "scores": {"accuracy": 0.5}, **extra}
    return {"status": "FAILED", "failure_reason": "non_zero_exit", "failure_message": "exit 3", **extra}


@pytest.fixture
def submission_with_token(phase, participant, make_submission):
    return make_submission(phase, participant)


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("reported", [S.RUNNING, S.SCORING])
def test_status_report_on_every_state(current, reported, submission_with_token, worker_api) -> None:
    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status=current.value)
    response = worker_api(token).post(worker_url(submission.pk, "status"),
                                      {"status": reported.value, "message": "working", "elapsed_s": 3.5})
    code, state = expected_status_answer(current, reported)
    assert response.status_code == code, response.content
    submission.refresh_from_db()
    assert submission.status == state.value
    if code == 200:
        assert submission.last_heartbeat is not None
        assert (submission.elapsed_s, submission.status_message) == (3.5, "working")
    else:
        assert submission.last_heartbeat is None
        assert response.json()["status"] == current.value and response.json()["error"]


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("reported", [S.FINISHED, S.FAILED])
def test_result_on_every_state(current, reported, submission_with_token, worker_api) -> None:
    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status=current.value)
    response = worker_api(token).post(worker_url(submission.pk, "result"), result_body(reported))
    code, state = expected_result_answer(current, reported)
    assert response.status_code == code, response.content
    submission.refresh_from_db()
    assert submission.status == state.value
    changed = code == 200 and current != reported
    assert (submission.finished_at is not None) == changed


@pytest.mark.parametrize("current", ALL)
def test_logs_on_every_state(current, submission_with_token, worker_api) -> None:
    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status=current.value)
    response = worker_api(token).post(worker_url(submission.pk, "logs"), {"stream": "participant", "text": "hi"})
    assert response.status_code == (409 if current in FINAL else 200)
    submission.refresh_from_db()
    assert submission.participant_log == ("" if current in FINAL else "hi")


def test_full_run_records_everything(submission_with_token, worker_api, phase) -> None:
    submission, token = submission_with_token
    worker = worker_api(token)
    assert worker.post(worker_url(submission.pk, "status"), {"status": "RUNNING"}).status_code == 200
    assert worker.post(worker_url(submission.pk, "status"), {"status": "SCORING"}).status_code == 200
    body = result_body(S.FINISHED, scores={"accuracy": 0.91234, "extra": 7}, image_digest="sha256:" + "b" * 64,
                       exit_code=0, duration_s=12.5, peak_memory_bytes=1000, participant_log="p", scoring_log="s")
    assert worker.post(worker_url(submission.pk, "result"), body).status_code == 200
    submission.refresh_from_db()
    assert submission.status == "FINISHED"
    assert submission.rank_score == pytest.approx(0.91234)
    assert submission.scores == {"accuracy": 0.91234, "extra": 7.0}
    assert (submission.exit_code, submission.duration_s, submission.participant_log) == (0, 12.5, "p")
    assert submission.started_at and submission.scoring_at and submission.finished_at
    # a late heartbeat of the finished submission is refused and changes nothing
    assert worker.post(worker_url(submission.pk, "status"), {"status": "SCORING"}).status_code == 409


def test_result_without_the_ranking_column_fails_as_scoring_error(submission_with_token, worker_api) -> None:
    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status=S.SCORING.value)
    response = worker_api(token).post(worker_url(submission.pk, "result"),
                                      {"status": "FINISHED", "scores": {"other": 1}})
    assert response.status_code == 200
    submission.refresh_from_db()
    assert (submission.status, submission.failure_reason) == ("FAILED", "scoring_error")
    assert submission.failure_message == "scores.json lacks the ranking column 'accuracy'"
    assert submission.rank_score is None


def test_a_finished_result_reads_the_ranking_column_and_not_the_phase(submission_with_token, worker_api) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status=S.SCORING.value)
    with CaptureQueriesContext(connection) as captured:  # the result is on the path to FINISHED: no query to spare
        answer = worker_api(token).post(worker_url(submission.pk, "result"), result_body(S.FINISHED))
    assert answer.status_code == 200 and Submission.objects.get(pk=submission.pk).status == "FINISHED"
    sql = [query["sql"] for query in captured]
    assert not [q for q in sql if 'FROM "competition_phase"' in q], sql
    assert len([q for q in sql if 'FROM "competition_leaderboardcolumn"' in q]) == 1, sql


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Bearer ", "Token x", "bearer x", "Bearer " + "x" * 500])
@pytest.mark.parametrize("path", ["status", "logs", "result", "input-data", "reference-data", "predictions"])
def test_wrong_or_missing_token_is_401_and_changes_nothing(header, path, submission_with_token, client) -> None:
    submission, _ = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status="SCORING")
    headers = {"Authorization": header} if header else {}
    url = worker_url(submission.pk, path)
    if path in ("status", "logs", "result"):
        response = client.post(url, {"status": "FAILED", "failure_reason": "worker_lost"},
                               content_type="application/json", headers=headers)
    else:
        response = client.get(url, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]
    submission.refresh_from_db()
    assert (submission.status, submission.participant_log) == ("SCORING", "")


def test_token_of_another_submission_is_refused(phase, participant, make_submission, worker_api) -> None:
    first, _ = make_submission(phase, participant)
    second, second_token = make_submission(phase, participant)
    response = worker_api(second_token).post(worker_url(first.pk, "status"), {"status": "RUNNING"})
    assert response.status_code == 401
    first.refresh_from_db()
    assert first.status == "SUBMITTED"


def test_unknown_submission_is_401(worker_api) -> None:
    assert worker_api("x").post(worker_url(999999, "status"), {"status": "RUNNING"}).status_code == 401


def _zip(name: str) -> ContentFile:
    return ContentFile(zip_bytes({name: name.encode()}), name=f"{name}.zip")


@pytest.fixture
def phase_with_data(phase):
    phase.input_data.save("input.zip", _zip("input"), save=False)
    phase.reference_data.save("reference.zip", _zip("reference"), save=False)
    phase.input_data_sha256 = phase.reference_data_sha256 = "c" * 64
    phase.save()
    return phase


@pytest.mark.parametrize("current", ALL)
def test_data_is_served_only_in_the_right_states(current, phase_with_data, participant, make_submission,
                                                 worker_api) -> None:
    submission, token = make_submission(phase_with_data, participant)
    Submission.objects.filter(pk=submission.pk).update(status=current.value)
    worker = worker_api(token)
    input_response = worker.get(worker_url(submission.pk, "input-data"))
    reference_response = worker.get(worker_url(submission.pk, "reference-data"))
    assert input_response.status_code == (200 if current in (S.RUNNING, S.SCORING) else 403)
    assert reference_response.status_code == (200 if current is S.SCORING else 403)
    if current is S.SCORING:
        with zipfile.ZipFile(io.BytesIO(b"".join(reference_response.streaming_content))) as archive:
            assert archive.namelist() == ["reference"]
    else:
        assert "SCORING" in reference_response.json()["error"]


def test_missing_archives_are_404(submission_with_token, worker_api) -> None:
    submission, token = submission_with_token
    Submission.objects.filter(pk=submission.pk).update(status="SCORING")
    for path in ("input-data", "reference-data", "predictions"):
        assert worker_api(token).get(worker_url(submission.pk, path)).status_code == 404


def test_worker_api_is_csrf_exempt(submission_with_token) -> None:
    from django.test import Client

    submission, token = submission_with_token
    client = Client(enforce_csrf_checks=True)
    response = client.post(worker_url(submission.pk, "status"), {"status": "RUNNING"},
                           content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
