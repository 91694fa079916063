"""Publishing a private phase's scores: organizers only, an explicit act recorded once (who, when), by the API
and the leaderboard page's button; nothing to publish on a public phase."""

from __future__ import annotations

import pytest
from django.test import Client

from competition.models import Phase, Visibility

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(competition, make_phase):
    return make_phase(competition, "Final", leaderboard_visibility=Visibility.UNTIL_PUBLISHED)


def test_only_organizers_publish_and_the_first_record_stays(sealed, participant, organizer, make_user,
                                                             api_for) -> None:
    url = f"/api/phases/{sealed.pk}/publish/"
    assert api_for(None).post(url).status_code == 401
    refused = api_for(participant.user).post(url)
    assert refused.status_code == 403 and "organizers" in refused.json()["error"]
    assert Phase.objects.get(pk=sealed.pk).results_published_at is None
    first = api_for(organizer).post(url)
    assert first.status_code == 200 and first.json()["published_by"] == "olga"
    co = make_user("cora")
    sealed.competition.admins.add(co)
    again = api_for(co).post(url)  # a second publication changes nothing
    assert again.status_code == 200 and again.json() == first.json()
    detail = api_for(None).get("/api/competitions/cats/").json()["phases"][0]
    assert detail["scores_public"] is True and detail["leaderboard_visibility"] == "until_published"


def test_a_public_phase_has_nothing_to_publish(phase, organizer, api_for) -> None:
    answer = api_for(organizer).post(f"/api/phases/{phase.pk}/publish/")
    assert answer.status_code == 409 and "already public" in answer.json()["error"]
    assert Phase.objects.get(pk=phase.pk).results_published_at is None


def test_the_page_s_button_publishes_and_shows_the_record(sealed, organizer, participant) -> None:
    olga, pat = Client(), Client()
    olga.force_login(organizer)
    pat.force_login(participant.user)
    board = f"/competitions/cats/leaderboard/?phase={sealed.pk}"
    assert 'data-role="publish"' in olga.get(board).content.decode()
    assert 'data-role="publish"' not in pat.get(board).content.decode()
    assert pat.post(f"/competitions/cats/phases/{sealed.pk}/publish/").status_code == 403
    page = olga.post(f"/competitions/cats/phases/{sealed.pk}/publish/", follow=True).content.decode()
    assert "The scores of Final are public now." in page and "Published by olga on" in page
    assert 'data-role="publish"' not in page
    assert "Published by" not in pat.get(board).content.decode()  # the record is shown to organizers only
