"""Factories of the site's objects, one signature each, and the site's API clients (fixtures).

``make_user`` -> ``organizer``; ``make_competition`` -> ``competition``; ``make_phase`` ->
``phase``; ``make_participant`` -> ``participant``; ``make_submission`` (returns the
submission and its worker token); ``api_for`` and ``worker_api``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from competition.models import ApiToken, Competition, LeaderboardColumn, Participant, Phase, Submission
from tests.helpers.accounts import PASSWORD
from tests.helpers.site_api import Api

SCORER = "docker.io/library/scorer:1.0"
#: ``(key, sorting, precision, ranks)`` of each leaderboard column.
Column = tuple[str, str, int, bool]


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    """``make_user(username, **fields)``: a user with password :data:`~tests.helpers.accounts.PASSWORD`."""

    def make(username: str, **fields: Any):
        return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)

    return make


@pytest.fixture
def organizer(make_user):
    """``olga``, the user who creates the competitions."""
    return make_user("olga")


@pytest.fixture
def make_competition(organizer) -> Callable[..., Competition]:
    """``make_competition(slug="cats", **fields)``: titled after its slug, published, docker submission on, by
    ``organizer``."""

    def make(slug: str = "cats", **fields: Any) -> Competition:
        fields.setdefault("title", slug.title())
        fields.setdefault("published", True)
        fields.setdefault("enable_docker_submission", True)
        fields.setdefault("created_by", organizer)
        return Competition.objects.create(slug=slug, **fields)

    return make


@pytest.fixture
def make_phase() -> Callable[..., Phase]:
    """``make_phase(competition, name="Development", *, open_=True, columns=((key, sorting, precision, ranks),),
    **fields)``: open since yesterday (or opening tomorrow), scored by :data:`SCORER`."""

    def make(competition: Competition, name: str = "Development", *, open_: bool = True,
             columns: tuple[Column, ...] = (("accuracy", "desc", 3, True),), **fields: Any) -> Phase:
        now = timezone.now()
        fields.setdefault("start", now - timedelta(days=1) if open_ else now + timedelta(days=1))
        fields.setdefault("scoring_image", SCORER)
        phase = Phase.objects.create(competition=competition, name=name, **fields)
        for order, (key, sorting, precision, ranks) in enumerate(columns):
            LeaderboardColumn.objects.create(phase=phase, key=key, label=key.title(), sorting=sorting,
                                             precision=precision, ranks=ranks, order=order)
        return phase

    return make


@pytest.fixture
def make_participant(make_user) -> Callable[..., Participant]:
    """``make_participant(competition, username, status="approved")``: the user is created if missing."""

    def make(competition: Competition, username: str, status: str = Participant.APPROVED) -> Participant:
        user = get_user_model().objects.filter(username=username).first() or make_user(username)
        return Participant.objects.create(competition=competition, user=user, status=status)

    return make


@pytest.fixture
def make_submission() -> Callable[..., tuple[Submission, str]]:
    """``make_submission(phase, participant, **fields)`` -> (submission, its worker token)."""

    def make(phase: Phase, participant: Participant, **fields: Any) -> tuple[Submission, str]:
        fields.setdefault("image", "docker.io/library/alpine:latest")
        fields.setdefault("image_typed", "alpine")
        submission = Submission(phase=phase, participant=participant, **fields)
        token = submission.new_token()
        submission.save()
        return submission, token

    return make


@pytest.fixture
def competition(make_competition) -> Competition:
    """``cats``: a published competition with docker submission on."""
    return make_competition()


@pytest.fixture
def phase(competition, make_phase) -> Phase:
    """An open phase of ``competition`` ranked by ``accuracy`` (higher is better, 3 decimals)."""
    return make_phase(competition)


@pytest.fixture
def participant(competition, make_participant) -> Participant:
    """``pat``, an approved participant of ``competition``."""
    return make_participant(competition, "pat")


@pytest.fixture
def api_for() -> Callable[..., Api]:
    """``api_for(user)``: a Token-authenticated client; ``api_for(None)``: anonymous."""

    def make(user=None) -> Api:
        if user is None:
            return Api(Client())
        return Api(Client(), {"Authorization": f"Token {ApiToken.issue(user)}"})

    return make


@pytest.fixture
def worker_api() -> Callable[[str], Api]:
    """``worker_api(token)``: a client sending ``Authorization: Bearer <token>``."""
    return lambda token: Api(Client(), {"Authorization": f"Bearer {token}"})
