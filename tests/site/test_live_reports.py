"""The site's side of live runs: log chunks appended within the cap, progress and metadata stored
(never scored), and conditional answers (ETag, 304) for polling pages."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competition.live_logs import Cursor, append_chunk
from competition.models import Submission
from compute_worker.protocol import LogReport
from compute_worker.protocol.live import MAX_LOG_CHUNK_CHARS, omission_marker
from tests.helpers.site_api import worker_url

pytestmark = pytest.mark.django_db


def chunk(offset: int, text: str, end: int | None = None) -> LogReport:
    return LogReport(stream="participant", text=text, offset=offset,
                     end=offset + len(text.encode()) if end is None else end)


def test_chunks_append_and_a_retried_chunk_changes_nothing():
    text, cursor = append_chunk("", Cursor(), chunk(0, "one\n"), cap=1000)
    text, cursor = append_chunk(text, cursor, chunk(4, "two\n"), cap=1000)
    assert (text, cursor.end) == ("one\ntwo\n", 8)
    assert append_chunk(text, cursor, chunk(4, "two\n"), cap=1000) == (text, cursor)  # the retry
    text, cursor = append_chunk(text, cursor, chunk(4, "two\nthree\n"), cap=1000)  # overlaps: the new part only
    assert text == "one\ntwo\nthree\n"


def test_a_gap_and_the_cap_show_as_omitted_bytes_head_and_newest_tail_kept():
    text, cursor = append_chunk("", Cursor(), chunk(0, "h" * 600), cap=1000)  # head 500, tail 100
    assert text == "h" * 600 and cursor.head == 500
    text, cursor = append_chunk(text, cursor, chunk(10_600, "t" * 450), cap=1000)  # 10 000 bytes never sent
    assert text.startswith("h" * 500) and text.endswith("t" * 450)
    head, _, tail = text.partition(omission_marker(cursor.omitted))
    assert len(head) == 500 and len(tail) == 500  # 50 h and 450 t
    assert cursor.omitted == 10_000 + 50
    for number in range(20):  # more chunks: the tail slides, the head stays
        text, cursor = append_chunk(text, cursor, chunk(cursor.end, f"{number:03d}" * 100), cap=1000)
    assert len(text) == 1000 + len(omission_marker(cursor.omitted))
    assert text.startswith("h" * 500) and text.endswith("019" * 100)


def test_the_final_log_replaces_the_chunks_and_later_chunks_are_ignored(phase, participant, make_submission,
                                                                        worker_api):
    submission, token = make_submission(phase, participant, status="RUNNING")
    api = worker_api(token)
    assert api.post(worker_url(submission.pk, "logs"), chunk(0, "live\n").to_json()).status_code == 200
    submission.refresh_from_db()
    assert submission.participant_log == "live\n"
    final = {"stream": "participant", "text": "the whole log\n"}
    assert api.post(worker_url(submission.pk, "logs"), final).status_code == 200
    assert api.post(worker_url(submission.pk, "logs"), chunk(5, "late\n").to_json()).status_code == 200
    submission.refresh_from_db()
    assert submission.participant_log == "the whole log\n"


def _rows() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in apps.get_app_config("competition").get_models()}


def test_a_flood_of_chunks_costs_bounded_rows_bytes_and_queries(phase, participant, make_submission, worker_api):
    phase.log_max_kb = 64
    phase.save()
    submission, token = make_submission(phase, participant, status="RUNNING")
    api, url = worker_api(token), worker_url(submission.pk, "logs")
    rows = _rows()
    offset, queries = 0, []
    for number in range(200):  # 200 chunks of 64 K characters: 13 MB of log
        body = chunk(offset, chr(ord("a") + number % 26) * MAX_LOG_CHUNK_CHARS)
        with CaptureQueriesContext(connection) as captured:
            assert api.post(url, body.to_json()).status_code == 200
        queries.append(len(captured))
        offset = body.end
    submission.refresh_from_db()
    assert len(submission.participant_log) <= 64 * 1024 + len(omission_marker(offset))
    assert submission.log_cursors["participant"]["end"] == offset
    assert _rows() == rows  # no row per chunk
    assert len(set(queries)) == 1, queries  # the same work for the 1st and the 200th chunk
    too_long = {"stream": "participant", "text": "x" * (MAX_LOG_CHUNK_CHARS + 1), "offset": offset,
                "end": offset + MAX_LOG_CHUNK_CHARS + 1}
    assert api.post(url, too_long).status_code == 400


def test_a_heartbeat_writes_what_it_reports_and_not_the_stored_logs(phase, participant, make_submission, worker_api):
    submission, token = make_submission(phase, participant, status="QUEUED")
    api, url = worker_api(token), worker_url(submission.pk, "status")
    assert api.post(url, {"status": "RUNNING", "message": "Started"}).status_code == 200
    assert api.post(worker_url(submission.pk, "logs"), chunk(0, "a line\n" * 5_000).to_json()).status_code == 200
    beat = {"status": "RUNNING", "message": "Running (4 s)", "elapsed_s": 4.2, "progress": 0.5,
            "progress_message": "epoch 2", "metadata": {"loss": 0.1}, "worker": "w1",
            "resources": {"t": [1.0], "memory": [1000]}}
    with CaptureQueriesContext(connection) as captured:
        assert api.post(url, beat).status_code == 200
    update = next(query["sql"] for query in captured if query["sql"].startswith("UPDATE"))
    assert "participant_log" not in update and "scoring_log" not in update
    submission.refresh_from_db()
    assert (submission.status, submission.status_message, submission.elapsed_s) == ("RUNNING", "Running (4 s)", 4.2)
    assert (submission.progress, submission.progress_message, submission.worker) == (0.5, "epoch 2", "w1")
    assert submission.metadata == {"loss": 0.1} and submission.resources == {"t": [1.0], "memory": [1000]}
    assert submission.started_at and submission.last_heartbeat and submission.participant_log == "a line\n" * 5_000
    assert api.post(url, {"status": "SCORING", "message": "Scoring"}).status_code == 200
    submission.refresh_from_db()
    assert (submission.status, submission.progress, submission.scoring_at is not None) == ("SCORING", None, True)


def test_metadata_never_reaches_the_scores_or_the_leaderboard(phase, participant, make_submission, worker_api,
                                                              api_for):
    submission, token = make_submission(phase, participant, status="RUNNING")
    api = worker_api(token)
    beat = {"status": "RUNNING", "progress": 0.5, "progress_message": "epoch 2/4",
            "metadata": {"accuracy": 1.0, "loss": 0.1}, "worker": "w1"}
    assert api.post(worker_url(submission.pk, "status"), beat).status_code == 200
    assert api.post(worker_url(submission.pk, "status"), {"status": "SCORING"}).status_code == 200
    result = {"status": "FINISHED", "scores": {"accuracy": 0.25}, "metadata": {"accuracy": 1.0, "loss": 0.1},
              "cpu_seconds": 1.5, "scoring_exit_code": 0, "worker": "w1"}
    assert api.post(worker_url(submission.pk, "result"), result).status_code == 200
    submission.refresh_from_db()
    assert submission.scores == {"accuracy": 0.25} and submission.rank_score == 0.25
    assert submission.metadata == {"accuracy": 1.0, "loss": 0.1}
    assert (submission.worker, submission.cpu_seconds, submission.scoring_exit_code) == ("w1", 1.5, 0)
    board = api_for(participant.user).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert [row["scores"]["accuracy"] for row in board["rows"]] == [0.25]
    assert "loss" not in str(board)


def test_progress_starts_afresh_in_each_state_and_bad_reports_are_refused(phase, participant, make_submission,
                                                                         worker_api):
    submission, token = make_submission(phase, participant, status="RUNNING")
    api = worker_api(token)
    api.post(worker_url(submission.pk, "status"), {"status": "RUNNING", "progress": 0.9, "progress_message": "x"})
    api.post(worker_url(submission.pk, "status"), {"status": "SCORING"})
    submission.refresh_from_db()
    assert (submission.progress, submission.progress_message) == (None, "")
    for bad in ({"status": "SCORING", "progress": 1.5}, {"status": "SCORING", "metadata": {"k": [1]}},
                {"status": "SCORING", "metadata": {f"k{i}": 1 for i in range(51)}},
                {"status": "SCORING", "metadata": {"k": 10**400}}, {"status": "SCORING", "progress": 10**400},
                {"status": "SCORING", "resources": {"t": [1], "memory": [1, 2]}},
                {"status": "SCORING", "resources": {"t": [1], "disk": [1]}}):
        assert api.post(worker_url(submission.pk, "status"), bad).status_code == 400, bad


def test_polling_a_submission_that_did_not_change_is_a_304_after_one_query(phase, participant, make_submission,
                                                                          api_for, worker_api):
    submission, token = make_submission(phase, participant, status="RUNNING")
    api = api_for(participant.user)
    first = api.client.get(f"/api/submissions/{submission.pk}/", headers=api.headers)
    assert first.status_code == 200 and first["ETag"] and "no-cache" in first["Cache-Control"]
    asking = {**api.headers, "If-None-Match": first["ETag"]}
    with CaptureQueriesContext(connection) as captured:
        again = api.client.get(f"/api/submissions/{submission.pk}/", headers=asking)
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and again.content == b""
    assert len(captured) == 1, [q["sql"] for q in captured]  # one query, before any authentication
    worker_api(token).post(worker_url(submission.pk, "status"), {"status": "RUNNING", "progress": 0.1})
    changed = api.client.get(f"/api/submissions/{submission.pk}/", headers=asking)
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"] and changed.json()["progress"] == 0.1


def test_only_an_etag_the_site_gave_is_a_304_and_anything_else_takes_the_authenticated_path(
        phase, participant, make_submission, api_for, make_user):
    from competition.changes import etag

    submission, _ = make_submission(phase, participant, status="RUNNING")
    url = f"/api/submissions/{submission.pk}/"
    stranger = api_for(make_user("sam"))
    for guess in ('"x"', etag("submission", submission.pk, submission.version, False, False, "page"), "*"):
        answer = stranger.client.get(url, headers={**stranger.headers, "If-None-Match": guess})
        assert answer.status_code == 404, guess  # not a 304: a guess is never the current ETag
    assert api_for(None).client.get(url, headers={"If-None-Match": '"x"'}).status_code == 401


def test_polling_the_participant_s_list_gets_a_304_until_a_submission_changes(phase, participant, make_submission,
                                                                             api_for, worker_api):
    submission, token = make_submission(phase, participant, status="RUNNING")
    api = api_for(participant.user)
    url = f"/api/competitions/{phase.competition.slug}/submissions/?phase={phase.pk}"
    first = api.client.get(url, headers=api.headers)
    asking = {**api.headers, "If-None-Match": first["ETag"]}
    assert api.client.get(url, headers=asking).status_code == 304
    worker_api(token).post(worker_url(submission.pk, "logs"), chunk(0, "hello\n").to_json())
    assert api.client.get(url, headers=asking).status_code == 200
    assert Submission.objects.get(pk=submission.pk).version > submission.version
