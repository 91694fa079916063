"""The participate tab: the docker modal (toggle on), the results upload (toggle off), registration."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from competition.models import Participant

pytestmark = pytest.mark.django_db


def participate(client, competition, **params):
    return client.get(reverse("competition_participate", args=[competition.slug]), params)


def modal_html(html: str) -> str:
    match = re.search(r'<div class="modal fade" id="submit-docker-modal".*?</form>', html, re.S)
    assert match, "the modal is missing"
    return match.group(0)


def test_toggle_on_shows_button_modal_one_field_and_script(player_client, competition, phase, registration):
    response = participate(player_client, competition)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        r'<button type="button" class="btn btn-primary" data-bs-toggle="modal" '
        r'data-bs-target="#submit-docker-modal">Submit Docker image</button>',
        html,
    )
    modal = modal_html(html)
    assert 'action="/api/competitions/cats/submissions/"' in modal
    assert 'data-evalbox-submit="json"' in modal
    visible_inputs = re.findall(r"<(?:input|select|textarea)(?![^>]*type=\"hidden\")[^>]*>", modal)
    assert len(visible_inputs) == 1 and 'name="image"' in visible_inputs[0]
    assert f'<input type="hidden" name="phase" value="{phase.pk}">' in modal
    assert 'data-error-for="image"' in modal and "invalid-feedback" in modal
    assert 'name="csrfmiddlewaretoken"' in modal
    assert '<script src="/static/js/submit_docker.js" defer></script>' in html
    assert '<script src="/static/js/submissions.js" defer></script>' in html
    assert 'name="predictions"' not in html


def test_toggle_on_with_two_open_phases_offers_a_phase_select(
    player_client, competition, phase, make_phase, registration
):
    second = make_phase(competition, "Final")
    modal = modal_html(participate(player_client, competition).content.decode())
    fields = re.findall(r"<(?:input|select|textarea)(?![^>]*type=\"hidden\")[^>]*>", modal)
    assert [re.search(r'name="(\w+)"', f).group(1) for f in fields] == ["phase", "image"]
    assert f'<option value="{phase.pk}"' in modal and f'<option value="{second.pk}"' in modal


def test_toggle_off_shows_results_upload_and_no_button(player_client, make_competition, make_phase, player):
    competition = make_competition("plain", enable_docker_submission=False)
    phase = make_phase(competition)
    Participant.objects.create(competition=competition, user=player, status=Participant.APPROVED)
    html = participate(player_client, competition).content.decode()
    assert "Submit Docker image" not in html
    assert "submit-docker-modal" not in html
    form = re.search(r'<form id="upload-results-form".*?</form>', html, re.S).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert 'data-evalbox-submit="multipart"' in form
    assert 'action="/api/competitions/plain/submissions/"' in form
    assert re.search(r'<input type="file" name="predictions"[^>]*>', form)
    assert f'<input type="hidden" name="phase" value="{phase.pk}">' in form
    assert 'name="image"' not in form
    assert '<script src="/static/js/submit_docker.js" defer></script>' in html


def test_no_open_phase_means_no_button(player_client, competition, make_phase, registration):
    make_phase(competition, open_=False)
    html = participate(player_client, competition).content.decode()
    assert "Submit Docker image</button>" not in html
    assert "No phase is open" in html


def test_anonymous_is_invited_to_sign_in(client, competition, phase):
    html = participate(client, competition).content.decode()
    assert "Sign in</a> or" in html
    assert "Submit Docker image</button>" not in html


def test_register_auto_approved(player_client, competition, phase, player):
    html = participate(player_client, competition).content.decode()
    assert f'action="/competitions/{competition.slug}/register/"' in html
    response = player_client.post(reverse("competition_register", args=[competition.slug]), follow=True)
    assert Participant.objects.get(user=player).status == Participant.APPROVED
    assert "You are registered" in response.content.decode()
    assert "Submit Docker image</button>" in response.content.decode()
    # registering twice is harmless
    response = player_client.post(reverse("competition_register", args=[competition.slug]), follow=True)
    assert Participant.objects.filter(user=player).count() == 1
    assert "already registered" in response.content.decode()


def test_register_pending_then_approved_by_organizer(client, make_competition, make_phase, player, organizer):
    competition = make_competition("strict", enable_docker_submission=True, auto_approve_participants=False)
    make_phase(competition)
    client.force_login(player)
    html = client.post(reverse("competition_register", args=["strict"]), follow=True).content.decode()
    registration = Participant.objects.get(user=player)
    assert registration.status == Participant.PENDING
    assert "pending" in html and "Submit Docker image</button>" not in html

    client.force_login(organizer)
    page = client.get(reverse("competition_participants", args=["strict"])).content.decode()
    assert "pat" in page and "Approve" in page
    url = reverse("participant_decide", args=["strict", registration.pk, "approve"])
    assert client.post(url).status_code == 302
    registration.refresh_from_db()
    assert registration.status == Participant.APPROVED

    client.force_login(player)
    assert "Submit Docker image</button>" in participate(client, competition).content.decode()

    client.force_login(organizer)
    client.post(reverse("participant_decide", args=["strict", registration.pk, "deny"]))
    client.force_login(player)
    html = participate(client, competition).content.decode()
    assert "denied" in html and "Submit Docker image</button>" not in html


def test_register_needs_post_and_sign_in(client, player_client, competition):
    url = reverse("competition_register", args=[competition.slug])
    assert player_client.get(url).status_code == 405
    client.logout()
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
