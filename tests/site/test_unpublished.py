"""Unpublished means hidden: every API and page surface of an unpublished competition is 404 to
everyone but its organizers, its own participants included (``competition/api/participant.py``)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def unpublished(competition, phase, participant, make_submission):
    """pat's finished submission, then the competition is unpublished."""
    submission, _ = make_submission(phase, participant, status="FINISHED", scores={"accuracy": 0.9},
                                    rank_score=0.9)
    competition.published = False
    competition.save(update_fields=["published"])
    return submission


def _api_surfaces(competition, phase, submission) -> list[tuple[str, str]]:
    slug = competition.slug
    return [
        ("GET", f"/api/competitions/{slug}/"),
        ("GET", f"/api/competitions/{slug}/leaderboard/"),
        ("GET", f"/api/phases/{phase.pk}/leaderboard/"),
        ("GET", f"/api/competitions/{slug}/submissions/"),
        ("POST", f"/api/competitions/{slug}/submissions/"),
        ("POST", f"/api/competitions/{slug}/register/"),
        ("GET", f"/api/submissions/{submission.pk}/"),
        ("POST", f"/api/submissions/{submission.pk}/cancel/"),
        ("POST", f"/api/submissions/{submission.pk}/rerun/"),
    ]


def _page_surfaces(competition, phase) -> list[str]:
    slug = competition.slug
    return [f"/competitions/{slug}/", f"/competitions/{slug}/participate/", f"/competitions/{slug}/leaderboard/",
            f"/competitions/{slug}/leaderboard.csv?phase={phase.pk}"]


def test_the_participants_api_is_404_on_every_surface(unpublished, competition, phase, participant, api_for):
    api = api_for(participant.user)
    for method, url in _api_surfaces(competition, phase, unpublished):
        response = api.get(url) if method == "GET" else api.post(url, {"phase": phase.pk, "image": "alpine"})
        assert response.status_code == 404, (method, url, response.content)
        assert "Development" not in response.content.decode()  # not even the phase's name
    unpublished.refresh_from_db()
    assert unpublished.status == "FINISHED"  # the cancel and rerun above changed nothing


def test_anonymous_and_strangers_get_404_too(unpublished, competition, phase, make_user, api_for):
    for api in (api_for(None), api_for(make_user("sam"))):
        for method, url in _api_surfaces(competition, phase, unpublished):
            response = api.get(url) if method == "GET" else api.post(url, {})
            assert response.status_code in (401, 404), (method, url)  # 401: sign in first (anonymous)


def test_every_page_is_404_to_its_participant(unpublished, competition, phase, participant):
    client = Client()
    client.force_login(participant.user)
    for url in _page_surfaces(competition, phase):
        assert client.get(url).status_code == 404, url


def test_organizers_still_see_everything(unpublished, competition, phase, organizer, api_for):
    api = api_for(organizer)
    assert api.get(f"/api/submissions/{unpublished.pk}/").json()["scores"][0]["text"] == "0.900"
    assert api.get(f"/api/competitions/{competition.slug}/submissions/").json()["count"] == 1
    client = Client()
    client.force_login(organizer)
    for url in _page_surfaces(competition, phase):
        assert client.get(url).status_code == 200, url
