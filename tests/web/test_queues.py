"""Who may choose a compute queue: staff assign dedicated queues; organizers pick among their own.

The rule is :meth:`Competition.queue_problem`, asked by the form, the model's ``clean`` (so the
admin too) and the dispatch. The broker panel shows an organizer only the workers of their
competition's queues, and only their own competitions' task ids.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from competition import monitoring
from competition.dispatch import dispatch
from competition.models import Competition, ComputeQueue, Submission
from compute_worker.protocol.transport import DEFAULT_QUEUE
from tests.helpers.site_api import submissions_url

pytestmark = pytest.mark.django_db

SITE_QUEUE = "evalbox-site"


@pytest.fixture
def gpu_queue(make_competition, make_user):
    """alice's competition with the dedicated queue ``gpu-alice`` the operator gave it."""
    alices = make_competition("alices", created_by=make_user("alice"))
    return ComputeQueue.assign("gpu-alice", alices)


def _edit(client, competition, queue: str):
    data = {"title": competition.title, "description": "", "published": "on", "admins": "",
            "queue_name": queue, "allowed_registries": "", "auto_approve_participants": "on", "max_team_size": "1"}
    return client.post(reverse("competition_edit", args=[competition.slug]), data)


def test_an_organizer_cannot_take_another_competitions_queue(organizer_client, competition, gpu_queue):
    page = organizer_client.get(reverse("competition_edit", args=[competition.slug])).content.decode()
    assert f'<option value="{DEFAULT_QUEUE}" selected>' in page and "gpu-alice" not in page
    for queue in ("gpu-alice", SITE_QUEUE, "made-up"):
        response = _edit(organizer_client, competition, queue)
        assert response.status_code == 200 and "queue_name" in response.context["form"].errors, queue
        assert Competition.objects.get(pk=competition.pk).queue_name == DEFAULT_QUEUE


def test_an_assigned_queue_can_be_chosen(client, gpu_queue):
    competition = gpu_queue.competitions.get()
    client.force_login(competition.created_by)
    page = client.get(reverse("competition_edit", args=[competition.slug])).content.decode()
    assert '<option value="gpu-alice" selected>' in page and f'<option value="{DEFAULT_QUEUE}">' in page
    assert _edit(client, competition, DEFAULT_QUEUE).status_code == 302
    assert _edit(client, competition, "gpu-alice").status_code == 302
    assert Competition.objects.get(pk=competition.pk).queue_name == "gpu-alice"


def test_the_model_refuses_unassigned_and_site_queues(competition, gpu_queue):
    for queue in ("gpu-alice", SITE_QUEUE):
        competition.queue_name = queue
        with pytest.raises(ValidationError) as refused:
            competition.full_clean()
        assert "queue_name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        ComputeQueue(name=SITE_QUEUE).full_clean()
    with pytest.raises(ValidationError):
        ComputeQueue.assign(SITE_QUEUE, competition)


def test_the_admin_applies_the_rule(client, competition, gpu_queue, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    data = {"title": competition.title, "slug": competition.slug, "created_by": competition.created_by_id,
            "queue_name": "gpu-alice", "allowed_registries": "", "published": "on"}
    response = client.post(f"/admin/competition/competition/{competition.pk}/change/", data)
    assert response.status_code == 200 and "is not assigned to this competition" in response.content.decode()
    assert Competition.objects.get(pk=competition.pk).queue_name == DEFAULT_QUEUE


@pytest.mark.parametrize("queue", ["gpu-alice", SITE_QUEUE])
def test_dispatch_refuses_a_queue_the_competition_may_not_use(queue, competition, phase, participant,
                                                              make_submission, gpu_queue, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = tmp_path / "broker"
    Competition.objects.filter(pk=competition.pk).update(queue_name=queue)  # past the form and the model
    submission, _ = make_submission(phase, participant)
    assert dispatch(submission.pk) is False
    submission.refresh_from_db()
    assert (submission.status, submission.failure_reason) == ("FAILED", "invalid_request")
    assert queue in submission.failure_message
    sent = [p for p in (tmp_path / "broker").glob("*") if p.is_file()]
    assert sent == []  # nothing reached the broker


@pytest.mark.parametrize("queue", ["gpu-alice", SITE_QUEUE])
def test_a_submission_posted_to_a_queue_the_competition_may_not_use_fails_and_sends_nothing(
        queue, competition, phase, participant, api_for, gpu_queue, settings, tmp_path,
        django_capture_on_commit_callbacks):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = tmp_path / "broker"
    Competition.objects.filter(pk=competition.pk).update(queue_name=queue)  # past the form and the model
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(participant.user).post(submissions_url(competition.slug),
                                                  {"phase": phase.pk, "image": "alpine"})
    assert response.status_code == 201
    submission = Submission.objects.get(pk=response.json()["id"])
    assert (submission.status, submission.failure_reason) == ("FAILED", "invalid_request")
    assert queue in submission.failure_message
    assert [p for p in (tmp_path / "broker").glob("*") if p.is_file()] == []


def _answer() -> monitoring.WorkersAnswer:
    return monitoring.WorkersAnswer(workers=[
        monitoring.WorkerInfo("gpu@alice", ["gpu-alice"], [{"id": "t1", "submission_id": 1}]),
        monitoring.WorkerInfo("shared@1", [DEFAULT_QUEUE, "gpu-alice"],
                              [{"id": "t2", "submission_id": 2}, {"id": "t3", "submission_id": 3}]),
    ])


def test_the_broker_answer_is_restricted_to_the_viewers_queues_and_submissions():
    assert monitoring.submission_ids(_answer()) == {1, 2, 3}
    seen = monitoring.restricted(_answer(), {DEFAULT_QUEUE}, own_submissions={3})
    assert [(w.name, w.queues, [t["id"] for t in w.active], w.other_tasks) for w in seen.workers] == [
        ("shared@1", [DEFAULT_QUEUE], ["t3"], 1)]
    everything = monitoring.restricted(_answer(), {DEFAULT_QUEUE, "gpu-alice"}, own_submissions={1, 2, 3})
    assert [len(w.active) for w in everything.workers] == [1, 2]
