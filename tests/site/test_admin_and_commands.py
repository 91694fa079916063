"""The Django admin lists every model; ``issue_token`` prints a working API token."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from competition import models
from tests.helpers.site_api import Api, submissions_url

pytestmark = pytest.mark.django_db

MODELS = [models.Competition, models.Phase, models.LeaderboardColumn, models.Participant, models.Submission,
          models.ApiToken]


def test_every_model_is_in_the_admin() -> None:
    for model in MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_render(model, client, phase, participant, make_submission) -> None:
    make_submission(phase, participant)
    models.ApiToken.issue(participant.user)
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    base = f"/admin/competition/{model._meta.model_name}/"
    assert client.get(base).status_code == 200
    change = client.get(base + f"{model.objects.first().pk}/change/")
    assert change.status_code == 200
    assert 'name="version"' not in change.content.decode()  # the polls' version is the site's, never typed


def test_admin_cancel_and_rerun_actions(client, phase, participant, make_submission) -> None:
    running, _ = make_submission(phase, participant, status="RUNNING")
    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    url = "/admin/competition/submission/"
    client.post(url, {"action": "cancel_submissions", "_selected_action": [running.pk]})
    running.refresh_from_db()
    assert running.status == "CANCELLED"
    client.post(url, {"action": "rerun_submissions", "_selected_action": [running.pk]})
    running.refresh_from_db()
    assert (running.status, running.attempt) == ("SUBMITTED", 2)


def test_issue_token(capsys, participant, client) -> None:
    call_command("issue_token", "pat")
    key = capsys.readouterr().out.strip()
    assert Api(client, {"Authorization": f"Token {key}"}).get(submissions_url("cats")).status_code == 200
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", "nobody")
