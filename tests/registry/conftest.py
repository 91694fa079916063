"""Fixtures of the registry tests: a competition with an owner, a rival, an organizer and their API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from competition.models import ApiToken, Competition, Participant, Phase, RegistryImage, Submission
from compute_worker.config import WorkerConfig
from tests.helpers import docker_images
from tests.helpers.accounts import Person
from tests.helpers.site_api import Api
from tests.helpers.timing import wait_for


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


@pytest.fixture
def small_image(docker_client) -> str:
    """A busybox image that prints ``version one`` (built again when a push removed it)."""
    return docker_images.busybox_script_image("registry-one", "echo version one\necho 1 > /mnt/out/predictions.txt\n")


@pytest.fixture(autouse=True)
def _embedded_broker(settings, tmp_path) -> None:
    """Dispatches go to a throw-away filesystem broker: the tests hand the request to the worker themselves."""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = tmp_path / "broker"


@pytest.fixture
def registry_phase(cats, make_phase, scorer) -> Phase:
    """An open phase of ``cats`` scored by the busybox scorer (ranked by its ``lines``)."""
    return make_phase(cats, scoring_image=scorer, columns=(("lines", "desc", 0, True),))


@pytest.fixture
def pull_config(tmp_path: Path) -> WorkerConfig:
    """A worker that pulls (``if-not-present``), with its directories under ``tmp_path``."""
    return WorkerConfig(
        data_cache_dir=str(tmp_path / "cache"), work_dir=str(tmp_path / "work"), slot_dir=str(tmp_path / "slots"),
        image_cache_dir=str(tmp_path / "images"), broker_dir=str(tmp_path / "broker"),
        worker_id=f"test-{uuid.uuid4().hex[:10]}", heartbeat_s=0.5, pull_policy="if-not-present",
        report_retries=2, report_retry_s=5, pull_timeout_s=60)


@pytest.fixture
def submit(cast, registry_phase) -> Callable[..., Submission]:
    """``submit(username, image)``: a submission made through the participants' API with the person's token."""

    def make(username: str, image: str) -> Submission:
        api = Api(Client(), {"Authorization": f"Token {cast[username].token}"})
        response = api.post("/api/competitions/cats/submissions/", {"phase": registry_phase.pk, "image": image})
        assert response.status_code == 201, response.json()
        return Submission.objects.get(pk=response.json()["id"])

    return make


@pytest.fixture
def push_as(platform_registry, docker_cli, cast) -> Callable[[str], Callable[[str, str], str]]:
    """``push_as(username)(local_tag, "name:tag")``: docker login + push into ``cats/<username>/name:tag``.

    Returns the pushed reference once the registry's notification reached the site. The local
    image is removed afterwards, so a worker has to download its own layers (all but the shared
    busybox base).
    """

    def login(username: str) -> Callable[[str, str], str]:
        person = cast[username]
        docker_cli.login(platform_registry.host, person.username, person.token)

        def push(local_tag: str, name_tag: str) -> str:
            reference = f"{platform_registry.host}/cats/{username}/{name_tag}"
            before = set(RegistryImage.objects.values_list("pk", "pushed_at"))
            docker_cli.push(local_tag, reference)
            docker_cli.run("rmi", local_tag, check=False)
            wait_for(lambda: set(RegistryImage.objects.values_list("pk", "pushed_at")) != before, 20,
                     "the push notification")
            return reference

        return push

    return login
