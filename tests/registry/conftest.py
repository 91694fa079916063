"""Fixtures of the registry tests: a competition with an owner, a rival, an organizer and their API tokens."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from competition.models import ApiToken, Competition, Participant
from tests.helpers import docker_images


@dataclass
class Person:
    """A user and their API token (the registry password)."""

    username: str
    token: str

    @property
    def basic(self) -> tuple[str, str]:
        """HTTP Basic credentials."""
        return self.username, self.token


@pytest.fixture
def cast(platform_registry, make_user, make_competition, make_participant) -> dict[str, Person]:
    """``cats`` with ``pat`` (owner) and ``quinn`` (rival) approved, ``penny`` pending, ``olga`` organizing."""
    competition = make_competition("cats")
    people = {}
    for username, status in (("pat", Participant.APPROVED), ("quinn", Participant.APPROVED),
                             ("penny", Participant.PENDING)):
        participant = make_participant(competition, username, status)
        people[username] = Person(username, ApiToken.issue(participant.user))
    people["olga"] = Person("olga", ApiToken.issue(competition.created_by))
    return people


@pytest.fixture
def cats(cast) -> Competition:
    """The competition of :func:`cast`."""
    return Competition.objects.get(slug="cats")


@pytest.fixture(scope="session")
def small_image(docker_client) -> str:
    """A busybox image that prints ``version one``."""
    return docker_images.busybox_script_image("registry-one", "echo version one\necho 1 > /mnt/out/predictions.txt\n")
