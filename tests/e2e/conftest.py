"""End-to-end fixtures: the site on a real HTTP server, compute workers on the real RabbitMQ, real Docker.

The site is pytest-django's ``live_server`` (a threaded WSGI server on loopback, on the test
database); it dispatches to a unique RabbitMQ queue that real ``celery -A compute_worker``
processes consume; they run the example images of ``examples/`` and report back over HTTP.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from django.core.files import File
from django.utils import timezone

from competition.archives import check_archive
from competition.models import ApiToken, LeaderboardColumn, Phase
from tests.processes import (
    AMQP_URL,
    ROOT,
    ComputeWorkerProcess,
    compute_workers,
    delete_queue,
    require_rabbitmq,
    unique_name,
    wait_for,
)

sys.path.insert(0, str(ROOT / "examples"))
import build_images  # noqa: E402  (examples/ is a folder of scripts, not a package)
import make_demo_archives  # noqa: E402

pytestmark = [pytest.mark.docker, pytest.mark.rabbitmq]

#: Every status the API reports, final or not, is one of these.
FINAL = {"FINISHED", "FAILED", "CANCELLED"}


@pytest.fixture(scope="session")
def example_images() -> dict[str, str]:
    """The example images (built once, cached by tag): name -> tag."""
    client = docker.from_env()
    try:
        return build_images.build_all(client)
    finally:
        client.close()


@pytest.fixture(scope="session")
def demo_archives(tmp_path_factory) -> dict[str, Path]:
    """``{"input": input.zip, "reference": reference.zip}`` of the demo data."""
    return make_demo_archives.make_archives(tmp_path_factory.mktemp("demo-archives"))


@pytest.fixture(scope="module")
def e2e_queue() -> Iterator[str]:
    """A compute queue of this test module on the real RabbitMQ, deleted afterwards."""
    require_rabbitmq()
    name = unique_name("e2e")
    yield name
    delete_queue(name)


@pytest.fixture
def site(live_server, settings, e2e_queue: str) -> str:
    """The site's base URL; it dispatches to ``e2e_queue`` on RabbitMQ and tells workers its own URL."""
    settings.EVALBOX_SITE_URL = live_server.url
    settings.CELERY_BROKER_URL = AMQP_URL
    return live_server.url


@pytest.fixture
def workers(e2e_queue: str, tmp_path: Path, example_images: dict[str, str]) -> Callable[..., Any]:
    """``with workers(count) as processes:`` compute workers consuming ``e2e_queue``."""

    def start(count: int = 1, **options: Any):
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
    competition = make_competition("e2e", queue_name=e2e_queue, participants_see_logs=True)
    phase = Phase(
        competition=competition, name="Validation", start=timezone.now() - timedelta(hours=1),
        scoring_image=example_images["scoring"], time_limit_s=30, memory_mb=256, pids=64,
        max_submissions_per_day=100, max_submissions_total=100,
    )
    for field in ("input", "reference"):
        with open(demo_archives[field], "rb") as handle:
            setattr(phase, f"{field}_data_sha256", check_archive(handle))
            getattr(phase, f"{field}_data").save(demo_archives[field].name, File(handle), save=False)
    phase.save()
    LeaderboardColumn.objects.create(phase=phase, key="accuracy", label="Accuracy", precision=3, ranks=True, order=0)
    LeaderboardColumn.objects.create(phase=phase, key="macro_f1", label="Macro F1", precision=3, order=1)
    return phase


class Participant:
    """A participant scripting the public API with a token, as the CLI does."""

    def __init__(self, site: str, key: str, slug: str) -> None:
        self.site, self.slug = site, slug
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {key}"

    def submit(self, phase: Phase, image: str) -> requests.Response:
        """POST an image reference."""
        return self.http.post(f"{self.site}/api/competitions/{self.slug}/submissions/",
                              json={"phase": phase.pk, "image": image}, timeout=30)

    def submission(self, submission_id: int) -> dict[str, Any]:
        """GET one submission."""
        response = self.http.get(f"{self.site}/api/submissions/{submission_id}/", timeout=30)
        response.raise_for_status()
        return response.json()

    def wait_final(self, submission_id: int, timeout: float = 120) -> dict[str, Any]:
        """Poll until the submission is final; return its last JSON."""
        return wait_for(lambda: (s := self.submission(submission_id))["status"] in FINAL and s, timeout,
                        f"submission {submission_id} to end", interval=0.3)

    def leaderboard(self, phase: Phase) -> dict[str, Any]:
        """GET the phase's leaderboard."""
        response = self.http.get(f"{self.site}/api/phases/{phase.pk}/leaderboard/", timeout=30)
        response.raise_for_status()
        return response.json()


@pytest.fixture
def pat(site: str, demo_phase: Phase, make_participant) -> Participant:
    """An approved participant of the demo competition, with an API token."""
    participant = make_participant(demo_phase.competition, "pat")
    return Participant(site, ApiToken.issue(participant.user), demo_phase.competition.slug)
