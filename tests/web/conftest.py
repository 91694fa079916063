"""Fixtures of the web pages' tests: users, a competition with an open phase, submissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from competition.models import Competition, LeaderboardColumn, Participant, Phase, Submission

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def make_user(db):
    def make(username: str, **extra):
        return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)

    return make


@pytest.fixture
def organizer(make_user):
    return make_user("olga")


@pytest.fixture
def player(make_user):
    return make_user("pat")


@pytest.fixture
def stranger(make_user):
    return make_user("sam")


@pytest.fixture
def make_competition(organizer):
    def make(slug: str = "cats", **fields):
        fields.setdefault("title", "Cats vs dogs")
        fields.setdefault("published", True)
        return Competition.objects.create(slug=slug, created_by=fields.pop("created_by", organizer), **fields)

    return make


@pytest.fixture
def make_phase():
    def make(competition, name: str = "Development", *, open_: bool = True, columns=(("accuracy", True),), **fields):
        now = timezone.now()
        start = now - timedelta(days=1) if open_ else now + timedelta(days=1)
        phase = Phase.objects.create(
            competition=competition, name=name, start=start, scoring_image="docker.io/library/scorer:latest", **fields
        )
        for order, (key, ranks) in enumerate(columns):
            LeaderboardColumn.objects.create(
                phase=phase, key=key, label=key.title(), ranks=ranks, order=order, precision=3
            )
        return phase

    return make


@pytest.fixture
def competition(make_competition):
    return make_competition(enable_docker_submission=True)


@pytest.fixture
def phase(competition, make_phase):
    return make_phase(competition)


@pytest.fixture
def registration(competition, player):
    return Participant.objects.create(competition=competition, user=player, status=Participant.APPROVED)


@pytest.fixture
def make_submission():
    def make(phase, participant, **fields):
        fields.setdefault("image", "docker.io/library/alpine:latest")
        fields.setdefault("image_typed", "alpine")
        return Submission.objects.create(phase=phase, participant=participant, token_hash="0" * 64, **fields)

    return make


@pytest.fixture
def player_client(client, player):
    client.force_login(player)
    return client


@pytest.fixture
def organizer_client(client, organizer):
    client.force_login(organizer)
    return client


@pytest.fixture(autouse=True)
def _fast_web_tests(settings, tmp_path):
    """A fast password hasher and a throw-away media directory for uploads."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
