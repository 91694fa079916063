"""Fixtures of the whole suite: the test database and factories of the site's objects.

Database: SQLite by default, in a file (not in memory) so that tests with real threads share
it and wait on its locks; PostgreSQL when ``DATABASE_URL`` is set (pytest-django creates
``test_<name>``). Uploaded files go to a per-test temporary ``MEDIA_ROOT``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from competition.models import Competition, LeaderboardColumn, Participant, Phase, Submission

SCORER = "docker.io/library/scorer:1.0"


def is_postgresql() -> bool:
    """Whether the suite runs on PostgreSQL."""
    return django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory) -> None:
    """Put the SQLite test database in a file shared by threads."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_test_settings(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    """``make_user(username, **fields)``: a user with password ``pw``."""

    def make(username: str, **fields: Any):
        return get_user_model().objects.create_user(username=username, password="pw", **fields)

    return make


@pytest.fixture
def organizer(make_user):
    """The user who creates the competitions."""
    return make_user("olga")


@pytest.fixture
def make_competition(organizer) -> Callable[..., Competition]:
    """``make_competition(slug, **fields)``: published, docker submission on, by ``organizer``."""

    def make(slug: str = "cats", **fields: Any) -> Competition:
        fields.setdefault("title", slug.title())
        fields.setdefault("published", True)
        fields.setdefault("enable_docker_submission", True)
        fields.setdefault("created_by", organizer)
        return Competition.objects.create(slug=slug, **fields)

    return make


@pytest.fixture
def make_phase() -> Callable[..., Phase]:
    """``make_phase(competition, columns=[(key, sorting, precision, ranks)], open_=True, **fields)``."""

    def make(competition: Competition, name: str = "Development", *, open_: bool = True,
             columns: tuple = (("accuracy", "desc", 3, True),), **fields: Any) -> Phase:
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
    """``make_participant(competition, username, status="approved")``."""

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
    """A published competition with docker submission on."""
    return make_competition()


@pytest.fixture
def phase(competition, make_phase) -> Phase:
    """An open phase of ``competition`` ranked by ``accuracy`` (higher is better, 3 decimals)."""
    return make_phase(competition)


@pytest.fixture
def participant(competition, make_participant) -> Participant:
    """``pat``, an approved participant of ``competition``."""
    return make_participant(competition, "pat")
