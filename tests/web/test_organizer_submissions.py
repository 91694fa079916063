"""The organizer's submissions page: access, filters, counts, digest and labels, actions, broker panel."""

from __future__ import annotations

import time

import pytest

from competition import monitoring
from competition.models import Participant, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(competition, phase, make_phase, registration, make_user, make_submission):
    """Submissions of two participants in two phases, in several states."""
    other = Participant.objects.create(competition=competition, user=make_user("quinn"), status="approved")
    final = make_phase(competition, "Final")
    return {
        "running": make_submission(phase, registration, status="RUNNING")[0],
        "finished": make_submission(phase, registration, status="FINISHED", rank_score=0.5,
                                    image_digest="sha256:" + "d" * 64,
                                    image_labels={"org.opencontainers.image.title": "<b>cats model</b>"})[0],
        "failed": make_submission(phase, other, status="FAILED", failure_reason="time_limit",
                                  failure_message="Stopped after 3 s")[0],
        "queued_final": make_submission(final, other, status="QUEUED")[0],
    }


def _ids(response) -> list[int]:
    return sorted(row.pk for row in (r["submission"] for r in response.context["rows"]))


def test_only_organizers_see_it(client, competition, player, organizer):
    url = f"/competitions/{competition.slug}/submissions/"
    assert client.get(url).status_code == 302  # anonymous: sign in first
    client.force_login(player)
    assert client.get(url).status_code == 403
    assert client.get(url + "broker/").status_code == 403
    client.force_login(organizer)
    assert client.get(url).status_code == 200


def test_unpublished_competition_is_404_to_others(client, make_competition, player):
    hidden = make_competition("hidden", published=False)
    client.force_login(player)
    assert client.get(f"/competitions/{hidden.slug}/submissions/").status_code == 404


def test_lists_filters_and_counts(organizer_client, competition, phase, many):
    url = f"/competitions/{competition.slug}/submissions/"
    response = organizer_client.get(url)
    assert _ids(response) == sorted(s.pk for s in many.values())
    page = response.content.decode()
    assert "sha256:" + "d" * 64 in page
    assert "org.opencontainers.image.title" in page and "&lt;b&gt;cats model&lt;/b&gt;" in page
    assert "Time limit exceeded" in page and "Stopped after 3 s" in page
    counts = {row["phase"].name: row["cells"] for row in response.context["counts"]}
    statuses = response.context["statuses"]
    assert dict(zip(statuses, counts["Development"], strict=True)) == {
        "SUBMITTED": 0, "QUEUED": 0, "RUNNING": 1, "SCORING": 0, "FINISHED": 1, "FAILED": 1, "CANCELLED": 0}
    assert sum(counts["Final"]) == 1

    assert _ids(organizer_client.get(url, {"status": "FAILED"})) == [many["failed"].pk]
    assert _ids(organizer_client.get(url, {"participant": "pat"})) == sorted(
        [many["running"].pk, many["finished"].pk])
    final = many["queued_final"].phase
    assert _ids(organizer_client.get(url, {"phase": final.pk})) == [many["queued_final"].pk]
    assert _ids(organizer_client.get(url, {"status": "QUEUED", "participant": "pat"})) == []
    # Unknown filter values are ignored, never an error.
    assert len(_ids(organizer_client.get(url, {"status": "EXPLODED", "phase": "abc"}))) == 4


def test_cancel_and_rerun(organizer_client, competition, many, django_capture_on_commit_callbacks, mocker):
    dispatch = mocker.patch("competition.dispatch.dispatch")
    running = many["running"]
    url = f"/competitions/{competition.slug}/submissions/{running.pk}/"
    response = organizer_client.post(url + "cancel/", {"back": "status=RUNNING&participant=pat"})
    assert response.status_code == 302
    assert response["Location"] == f"/competitions/{competition.slug}/submissions/?status=RUNNING&participant=pat"
    running.refresh_from_db()
    assert running.status == "CANCELLED"
    again = organizer_client.post(url + "cancel/", follow=True)
    assert "was not cancelled: The submission is already CANCELLED." in again.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = organizer_client.post(url + "rerun/", {"back": "https://evil.example/"})
    assert response["Location"] == f"/competitions/{competition.slug}/submissions/"
    running.refresh_from_db()
    assert (running.status, running.attempt) == ("SUBMITTED", 2)
    dispatch.assert_called_once_with(running.pk)


def test_actions_need_an_organizer_and_post(client, player, organizer, competition, many, make_competition):
    running = many["running"]
    url = f"/competitions/{competition.slug}/submissions/{running.pk}/cancel/"
    client.force_login(player)
    assert client.post(url).status_code == 403
    client.force_login(organizer)
    assert client.get(url).status_code == 405
    other = make_competition("other")
    assert client.post(f"/competitions/{other.slug}/submissions/{running.pk}/cancel/").status_code == 404
    assert Submission.objects.get(pk=running.pk).status == "RUNNING"


def test_flower_link_only_when_configured(organizer_client, competition, settings):
    url = f"/competitions/{competition.slug}/submissions/"
    settings.EVALBOX_FLOWER_URL = ""
    assert 'data-role="flower"' not in organizer_client.get(url).content.decode()
    settings.EVALBOX_FLOWER_URL = "https://flower.example.org/"
    assert 'href="https://flower.example.org/"' in organizer_client.get(url).content.decode()


def test_broker_panel_degrades_on_the_embedded_broker(organizer_client, competition, settings):
    settings.CELERY_BROKER_URL = "filesystem://"
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/broker/").content.decode()
    assert "embedded filesystem broker cannot report queue depths" in page
    assert "embedded filesystem broker cannot reach workers" in page


def test_broker_panel_degrades_quickly_when_the_broker_is_down(organizer_client, competition, settings):
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:9//"  # nothing listens on port 9
    started = time.monotonic()
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/broker/").content.decode()
    assert time.monotonic() - started < 2 * monitoring.TIMEOUT_S + 2
    assert page.count("The broker could not be reached") == 2


def test_the_page_links_to_the_panel_and_shows_the_queue_name(organizer_client, competition):
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
    assert f'hx-get="/competitions/{competition.slug}/submissions/broker/"' in page
    assert competition.queue_name in page


def test_the_organizer_reads_both_logs_of_a_failed_run(organizer_client, competition, phase, registration,
                                                       make_submission):
    long_log = "start\n" + "x" * 5000 + "\nTraceback: the very end"
    make_submission(phase, registration, status="FAILED", failure_reason="bad_output",
                    failure_message="The scorer rejected the output.", participant_log=long_log,
                    scoring_log="predictions.csv: missing id 7")
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
    assert "Program log" in page and "Scoring log" in page
    assert "predictions.csv: missing id 7" in page
    assert "Traceback: the very end" in page and "start\n" not in page  # the end of a long log


def test_a_run_without_logs_has_no_logs_box(organizer_client, competition, many):
    page = organizer_client.get(f"/competitions/{competition.slug}/submissions/").content.decode()
    assert 'data-role="logs"' not in page
