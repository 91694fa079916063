"""Fixtures of the fault and load tests: the end-to-end site with the quickest possible images.

The site, its unique RabbitMQ queue and the participant API client come from
:mod:`tests.e2e.conftest`; the phase here runs a busybox image that exits at once, scored by a
busybox scorer writing a constant ``{"accuracy": 1.0}``, so a submission costs two tiny
containers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from competition.models import ApiToken, LeaderboardColumn, Phase
from tests import docker_images
from tests.e2e.conftest import FINAL, Participant, e2e_queue, site  # noqa: F401 - fixtures reused
from tests.processes import ComputeWorkerProcess, compute_workers, require_rabbitmq

pytestmark = [pytest.mark.docker, pytest.mark.rabbitmq]

__all__ = ["FINAL", "Participant"]

CONSTANT_SCORER = 'printf \'{"accuracy": 1.0}\' > /mnt/out/scores.json\n'


@pytest.fixture(scope="session")
def quick_images() -> dict[str, str]:
    """``quick`` (exits at once), ``sleeper`` (sleeps 4 s), ``scorer`` (constant score): name -> tag."""
    require_rabbitmq()
    docker_images.busybox_image()
    return {
        "quick": docker_images.busybox_script_image("quick", "exit 0\n"),
        "sleeper": docker_images.busybox_script_image("sleeper-4s", "echo sleeping; sleep 4; echo done\n"),
        "reads-input": docker_images.busybox_script_image(
            "reads-input", "grep -q '^evalbox input v1$' /mnt/in/data.txt || { echo wrong input; exit 3; }\n"),
        "scorer": docker_images.scoring_image("scorer-constant", CONSTANT_SCORER),
    }


@pytest.fixture
def quick_phase(make_competition, e2e_queue: str, quick_images: dict[str, str]) -> Phase:  # noqa: F811
    """An open phase on ``e2e_queue`` scored by the constant scorer, generous quotas, ranked by accuracy."""
    competition = make_competition("rel", queue_name=e2e_queue, participants_see_logs=True)
    phase = Phase.objects.create(
        competition=competition, name="Reliability", start=timezone.now() - timedelta(hours=1),
        scoring_image=quick_images["scorer"], time_limit_s=30, memory_mb=64, pids=64,
        max_submissions_per_day=1000, max_submissions_total=1000,
    )
    LeaderboardColumn.objects.create(phase=phase, key="accuracy", label="Accuracy", precision=3, ranks=True, order=0)
    return phase


@pytest.fixture
def client_for(site: str, make_participant) -> Callable[[Phase, str], Participant]:  # noqa: F811
    """``client_for(phase, username)``: an approved participant of the phase's competition with an API client."""

    def make(phase: Phase, username: str) -> Participant:
        participant = make_participant(phase.competition, username)
        return Participant(site, ApiToken.issue(participant.user), phase.competition.slug)

    return make


@pytest.fixture
def alice(quick_phase: Phase, client_for) -> Participant:
    """An approved participant of the quick phase."""
    return client_for(quick_phase, "alice")


@pytest.fixture
def start_workers(e2e_queue: str, tmp_path: Path,  # noqa: F811
                  quick_images) -> Callable[..., AbstractContextManager[list[ComputeWorkerProcess]]]:
    """``with start_workers(count, **options) as processes:`` compute workers on ``e2e_queue``."""

    def start(count: int = 1, **options: Any) -> AbstractContextManager[list[ComputeWorkerProcess]]:
        options.setdefault("queue", e2e_queue)
        queue = options.pop("queue")
        return compute_workers(queue, tmp_path / "workers", count, **options)

    return start


@pytest.fixture
def one_worker(start_workers) -> Iterator[ComputeWorkerProcess]:
    """One compute worker for the test."""
    with start_workers(1) as (worker,):
        yield worker
