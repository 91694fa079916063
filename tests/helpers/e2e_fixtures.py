"""End-to-end fixtures: the site on a real HTTP server, compute workers on the real RabbitMQ, real Docker.

The site is pytest-django's ``live_server`` (a threaded WSGI server on loopback, on the test
database); it dispatches to a unique RabbitMQ queue that real ``celery -A compute_worker``
processes consume; they run the example images of ``examples/`` and report back over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import docker
import pytest
from django.utils import timezone

from competition.models import ApiToken, ComputeQueue, LeaderboardColumn, Phase
from tests.helpers.broker import delete_queue, unique_name
from tests.helpers.examples import build_images, make_demo_archives
from tests.helpers.live_api import ParticipantClient
from tests.helpers.phase_data import attach_archive
from tests.helpers.processes import ComputeWorkerProcess, compute_workers


@pytest.fixture(scope="session")
def example_images(docker_client: docker.DockerClient) -> dict[str, str]:
    """The example images (built once, cached by tag): name -> tag."""
    return build_images.build_all(docker_client)


@pytest.fixture(scope="session")
def demo_archives(tmp_path_factory) -> dict[str, Path]:
    """``{"input": input.zip, "reference": reference.zip}`` of the demo data."""
    return make_demo_archives.make_archives(tmp_path_factory.mktemp("demo-archives"))


@pytest.fixture(scope="module")
def e2e_queue(rabbitmq_url: str) -> Iterator[str]:
    """A compute queue of this test module on the real RabbitMQ, deleted afterwards."""
    name = unique_name("e2e")
    yield name
    delete_queue(name, rabbitmq_url)


@pytest.fixture
def site(live_server, settings, e2e_queue: str, rabbitmq_url: str) -> str:
    """The site's base URL; it dispatches to ``e2e_queue`` on RabbitMQ and tells workers its own URL."""
    settings.EVALBOX_SITE_URL = live_server.url
    settings.CELERY_BROKER_URL = rabbitmq_url
    return live_server.url


@pytest.fixture
def workers(e2e_queue: str, tmp_path: Path,
            docker_client: docker.DockerClient) -> Callable[..., AbstractContextManager[list[ComputeWorkerProcess]]]:
    """``with workers(count, **options) as processes:`` compute workers consuming ``e2e_queue``.

    ``options`` go to :func:`~tests.helpers.processes.start_compute_worker` (``broker_url``, ``env``...).
    """

    def start(count: int = 1, **options: Any) -> AbstractContextManager[list[ComputeWorkerProcess]]:
        return compute_workers(e2e_queue, tmp_path / "workers", count, **options)

    return start


@pytest.fixture
def one_worker(workers) -> Iterator[ComputeWorkerProcess]:
    """One compute worker for the test."""
    with workers(1) as (worker,):
        yield worker


@pytest.fixture
def demo_phase(make_competition, e2e_queue: str, demo_archives: dict[str, Path], example_images) -> Phase:
    """An open phase of a docker-submission competition with the demo data and the example scorer."""
    competition = make_competition("e2e", participants_see_logs=True)
    ComputeQueue.assign(e2e_queue, competition)
    phase = Phase(
        competition=competition, name="Validation", start=timezone.now() - timedelta(hours=1),
        scoring_image=example_images["scoring"], time_limit_s=30, memory_mb=256, pids=64,
        max_submissions_per_day=100, max_submissions_total=100,
    )
    for field in ("input", "reference"):
        attach_archive(phase, field, demo_archives[field])
    phase.save()
    LeaderboardColumn.objects.create(phase=phase, key="accuracy", label="Accuracy", precision=3, ranks=True, order=0)
    LeaderboardColumn.objects.create(phase=phase, key="macro_f1", label="Macro F1", precision=3, order=1)
    return phase


@pytest.fixture
def client_for(site: str, make_participant) -> Callable[[Phase, str], ParticipantClient]:
    """``client_for(phase, username)``: an approved participant of the phase's competition with an API client."""

    def make(phase: Phase, username: str) -> ParticipantClient:
        participant = make_participant(phase.competition, username)
        return ParticipantClient(site, ApiToken.issue(participant.user), phase.competition.slug)

    return make


@pytest.fixture
def pat(demo_phase: Phase, client_for) -> ParticipantClient:
    """``pat``, an approved participant of the demo competition, with an API client."""
    return client_for(demo_phase, "pat")
