"""A submission's page: what it shows, to whom, and its live part answering 304 while nothing changed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LABELS = {
    "org.opencontainers.image.title": "cats model",
    "org.opencontainers.image.source": "https://example.org/team/model",
    "org.label-schema.docker.cmd": "docker run --privileged -v /:/host team/model",
    "maintainer": "pat",
}
RESOURCES = {"t": [1.0, 2.0, 3.0, 4.0], "memory": [10e6, 60e6, 120e6, 180e6], "cpu": [0.5, 1.0, 1.0, 0.9],
             "pids": [1.0, 2.0, 2.0, 2.0]}


@pytest.fixture
def finished(phase, registration, make_submission):
    submission, _ = make_submission(
        phase, registration, status="FINISHED", image_typed="Team/model:v1 typed", image_digest="sha256:" + "b" * 64,
        image_labels=LABELS, worker="worker-7", exit_code=0, scoring_exit_code=0, duration_s=4.2, cpu_seconds=3.1,
        peak_memory_bytes=190 << 20, timings={"fetch_input": 0.5, "participant_run": 4.2, "scoring": 0.7},
        scores={"accuracy": 0.875, "undeclared_key": 1}, metadata={"loss": 0.24, "note": "<b>bold</b>"},
        resources=RESOURCES, participant_log="training...\n<script>x</script>\n", scoring_log="scored\n")
    return submission


def page_of(client: Client, submission, part: str = "submission_page", **headers):
    url = reverse(part, args=[submission.phase.competition.slug, submission.pk])
    return client.get(url, headers=headers)


def test_the_page_shows_image_labels_worker_timings_charts_metadata_logs_and_scores(player_client, finished,
                                                                                   competition):
    competition.participants_see_logs = True
    competition.save()
    html = page_of(player_client, finished).content.decode().replace("<wbr>", "")  # references may wrap
    assert "Team/model:v1 typed" in html and "sha256:" + "b" * 64 in html
    row = re.search(r'<tr data-label="org.label-schema.docker.cmd">.*?</tr>', html, re.S).group(0)
    assert "Label Schema" in row and "not run" in row and "--privileged" in row
    assert re.search(r'<tr data-label="org.opencontainers.image.title">\s*<td[^>]*>OCI</td>', html)
    assert '<dd data-role="worker">worker-7</dd>' in html
    assert re.search(r'data-step="Participant&#x27;s run".*?4.200 s', html, re.S)
    assert html.count('<figure class="resource-chart"') == 3  # memory, CPU, pids
    memory = re.search(r'<figure class="resource-chart" data-chart="memory">.*?</figure>', html, re.S).group(0)
    assert 'class="limit"' in memory and "limit 2048 MB" in memory and 'class="series" d="M' in memory
    assert "<dt>Accuracy</dt><dd>0.875</dd>" in html and "undeclared_key" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html  # the program's text is escaped
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert "190.0\xa0MB" in html  # peak memory


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_what_the_program_wrote_is_hidden_from_participants_unless_the_organizers_allow(
        player_client, organizer, finished):
    html = page_of(player_client, finished).content.decode()
    assert "training..." not in html and "loss" not in html
    assert "do not let participants read their logs" in html
    assert '<figure class="resource-chart"' in html  # measured by the worker: always shown
    seen_by_organizer = page_of(signed_in(organizer), finished).content.decode()
    assert "training..." in seen_by_organizer and "0.24" in seen_by_organizer


def test_strangers_and_anonymous_visitors_get_404_or_the_sign_in_page(client, stranger, finished):
    assert page_of(client, finished).status_code == 302  # sign in first
    client.force_login(stranger)
    assert page_of(client, finished).status_code == 404
    assert page_of(client, finished, "submission_live").status_code == 404


def test_the_live_part_answers_304_until_the_submission_changes(player_client, finished):
    first = page_of(player_client, finished, "submission_live")
    assert first.status_code == 200 and "data-live-root" in first.content.decode()
    again = page_of(player_client, finished, "submission_live", **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    finished.metadata = {"loss": 0.1}
    finished.save()
    changed = page_of(player_client, finished, "submission_live", **{"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_both_tables_link_to_the_page(player_client, organizer, finished, competition):
    link = f'href="/competitions/{competition.slug}/submissions/{finished.pk}/"'
    participate = player_client.get(reverse("competition_participate", args=[competition.slug])).content.decode()
    assert link in participate
    submissions = signed_in(organizer).get(reverse("competition_submissions", args=[competition.slug]))
    submissions = submissions.content.decode()
    assert link in submissions


def test_a_running_submission_s_bar_shows_the_program_s_progress(player_client, phase, registration,
                                                                make_submission, competition):
    competition.participants_see_logs = True
    competition.save()
    running, _ = make_submission(phase, registration, status="RUNNING", elapsed_s=30.0, progress=0.42,
                                 progress_message="epoch 3/10")
    html = page_of(player_client, running).content.decode()
    assert re.search(r'<progress class="run-progress" max="100" value="42"', html)
    assert "42 % · epoch 3/10" in html
    row = player_client.get(reverse("competition_participate", args=[competition.slug])).content.decode()
    assert '<progress class="elapsed" max="100" value="42"' in row and "42 % · epoch 3/10" in row


def test_a_private_phase_s_scores_and_scoring_log_stay_hidden_on_the_page(player_client, organizer, finished,
                                                                         competition):
    competition.participants_see_logs = True
    competition.save()
    finished.phase.leaderboard_visibility = "until_published"
    finished.phase.save()
    html = page_of(player_client, finished).content.decode()
    assert "are private until the organizers publish them" in html
    assert "0.875" not in html and "scored\n" not in html and "(hidden while the scores are)" in html
    assert "training..." in html  # the participant's own log is still theirs to read
    seen_by_organizer = page_of(signed_in(organizer), finished).content.decode()
    assert "<dt>Accuracy</dt><dd>0.875</dd>" in seen_by_organizer and "scored\n" in seen_by_organizer


@pytest.mark.parametrize(("status", "says"), [
    ("RUNNING", "No sample yet"),
    ("FAILED", "No sample: the run ended before the worker's first"),
    ("FINISHED", "No sample: the run ended before the worker's first"),
])
def test_a_run_without_resource_samples_says_whether_one_may_still_come(player_client, phase, registration,
                                                                        make_submission, status, says):
    submission, _ = make_submission(phase, registration, status=status, duration_s=0.03)
    html = page_of(player_client, submission).content.decode()
    assert says in html and html.count("No sample") == 1
