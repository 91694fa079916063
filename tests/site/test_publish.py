"""Publishing a private phase's scores: organizers only, an explicit act recorded once (who, when), by the API
and the leaderboard page's button; nothing to publish on a public phase. A poll that revalidates a submission
(its ETag) sees the phase's changes: the scores published, the phase's end passed, a column edited or deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

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


def _revalidated(client: Client, url: str, headers: dict[str, str]):
    """``url`` as a poll sends it: first plainly, then with the ETag it answered (the answer to that)."""
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first["ETag"]
    unchanged = client.get(url, headers={**headers, "If-None-Match": first["ETag"]})
    assert unchanged.status_code == 304  # nothing changed yet: the poll is cheap
    return lambda: client.get(url, headers={**headers, "If-None-Match": first["ETag"]})


@pytest.fixture
def polls(participant, make_submission, api_for):
    """``polls(phase)``: a FINISHED submission of ``phase`` scored 0.9, and its participant's three polls (the
    API's submission and list, the live part of the submission's page), each revalidated once with the ETag it
    answered."""

    def make(phase):
        submission, _ = make_submission(phase, participant, status="FINISHED", scores={"accuracy": 0.9},
                                        rank_score=0.9)
        api = api_for(participant.user)
        page = Client()
        page.force_login(participant.user)
        return {
            "api": _revalidated(api.client, f"/api/submissions/{submission.pk}/", api.headers),
            "list": _revalidated(api.client, f"/api/competitions/cats/submissions/?phase={phase.pk}", api.headers),
            "page": _revalidated(page, f"/competitions/cats/submissions/{submission.pk}/live/", {}),
        }

    return make


def _assert_shows_the_score(answers: dict) -> None:
    """Every poll's answer is a 200 showing the score: the API's submission and list ``0.900``, the page too."""
    api, listed, page = answers["api"], answers["list"], answers["page"]
    assert {api.status_code, listed.status_code, page.status_code} == {200}, answers  # a 304 kept the old answer
    assert api.json()["scores"][0]["text"] == "0.900"
    assert listed.json()["submissions"][0]["scores"][0]["text"] == "0.900"
    assert "0.900" in page.content.decode()


def test_a_poll_of_a_private_phase_s_submission_gets_the_scores_once_they_are_published(
        sealed, polls, organizer, api_for) -> None:
    poll = polls(sealed)
    assert api_for(organizer).post(f"/api/phases/{sealed.pk}/publish/").status_code == 200
    _assert_shows_the_score({name: ask() for name, ask in poll.items()})


def test_a_poll_gets_the_scores_when_the_phase_private_until_its_end_ends(competition, make_phase, polls) -> None:
    ending = make_phase(competition, "Final", leaderboard_visibility=Visibility.UNTIL_END,
                        end=timezone.now() + timedelta(hours=1))
    poll = polls(ending)
    # Nothing is saved: only the clock passes the end (update() bumps no version).
    Phase.objects.filter(pk=ending.pk).update(end=timezone.now() - timedelta(seconds=1))
    _assert_shows_the_score({name: ask() for name, ask in poll.items()})


def test_a_poll_sees_a_column_renamed_and_one_deleted(competition, make_phase, polls) -> None:
    phase = make_phase(competition, "Final", columns=(("accuracy", "desc", 3, True), ("recall", "desc", 2, False)))
    poll = polls(phase)
    column = phase.columns.get(key="accuracy")
    column.label = "Top-1 accuracy"
    column.save()
    renamed = {name: ask() for name, ask in poll.items()}
    _assert_shows_the_score(renamed)
    assert renamed["api"].json()["scores"][0]["label"] == "Top-1 accuracy"
    assert "Top-1 accuracy" in renamed["page"].content.decode()
    poll = polls(phase)
    phase.columns.filter(key="recall").delete()  # a queryset's delete: no model method runs
    deleted = {name: ask() for name, ask in poll.items()}
    _assert_shows_the_score(deleted)
    assert [score["key"] for score in deleted["api"].json()["scores"]] == ["accuracy"]


def test_a_poll_sees_the_phase_renamed(phase, polls) -> None:
    poll = polls(phase)
    phase.name = "Warm-up"
    phase.save()  # any save of the phase's settings counts
    renamed = {name: ask() for name, ask in poll.items()}
    _assert_shows_the_score(renamed)
    assert renamed["api"].json()["phase_name"] == "Warm-up"
