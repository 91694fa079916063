"""Fixtures of the fault and load tests: the end-to-end site with the quickest possible images.

The site, its unique RabbitMQ queue, the workers and the participant API clients are the
end-to-end fixtures of :mod:`tests.helpers.e2e_fixtures`; the phase here runs a busybox image
that exits at once, scored by a busybox scorer writing a constant ``{"accuracy": 1.0}``, so a
submission costs two tiny containers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from competition.models import ComputeQueue, LeaderboardColumn, Phase
from tests.helpers import docker_images
from tests.helpers.live_api import ParticipantClient

CONSTANT_SCORER = 'printf \'{"accuracy": 1.0}\' > /mnt/out/scores.json\n'


@pytest.fixture(scope="session")
def quick_images(busybox: str) -> dict[str, str]:
    """``quick`` (exits at once), ``sleeper`` (sleeps 4 s), ``scorer`` (constant score): name -> tag."""
    return {
        "quick": docker_images.busybox_script_image("quick", "exit 0\n"),
        "sleeper": docker_images.busybox_script_image("sleeper-4s", "echo sleeping; sleep 4; echo done\n"),
        "reads-input": docker_images.busybox_script_image(
            "reads-input", "grep -q '^evalbox input v1$' /mnt/in/data.txt || { echo wrong input; exit 3; }\n"),
        "scorer": docker_images.scoring_image("scorer-constant", CONSTANT_SCORER),
    }


@pytest.fixture
def quick_phase(make_competition, e2e_queue: str, quick_images: dict[str, str]) -> Phase:
    """An open phase on ``e2e_queue`` scored by the constant scorer, generous quotas, ranked by accuracy."""
    competition = make_competition("rel", participants_see_logs=True)
    ComputeQueue.assign(e2e_queue, competition)
    phase = Phase.objects.create(
        competition=competition, name="Reliability", start=timezone.now() - timedelta(hours=1),
        scoring_image=quick_images["scorer"], time_limit_s=30, memory_mb=64, pids=64,
        max_submissions_per_day=1000, max_submissions_total=1000,
    )
    LeaderboardColumn.objects.create(phase=phase, key="accuracy", label="Accuracy", precision=3, ranks=True, order=0)
    return phase


@pytest.fixture
def alice(quick_phase: Phase, client_for) -> ParticipantClient:
    """An approved participant of the quick phase."""
    return client_for(quick_phase, "alice")
