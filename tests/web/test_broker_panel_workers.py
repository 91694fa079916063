"""The broker panel against RabbitMQ and a real compute worker on another organizer's dedicated queue:
that organizer sees it, the others do not even learn the queue's name; staff see every worker."""

from __future__ import annotations

import pytest
from django.test import Client

from competition.models import ComputeQueue
from tests.helpers.broker import delete_queue, unique_name
from tests.helpers.processes import compute_workers

pytestmark = [pytest.mark.django_db, pytest.mark.docker]  # the worker process talks to Docker


@pytest.fixture
def gpu_worker(tmp_path, rabbitmq_url):
    """A compute worker consuming a fresh queue, and the queue's name (deleted afterwards)."""
    queue = unique_name("gpu")
    try:
        with compute_workers(queue, tmp_path / "workers") as (worker,):
            yield worker, queue
    finally:
        delete_queue(queue)


def _panel(user, competition) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/competitions/{competition.slug}/submissions/broker/")
    assert response.status_code == 200
    return response.content.decode()


def test_only_the_queues_organizers_see_its_worker(gpu_worker, rabbitmq_url, settings, competition, make_competition,
                                                   make_user, organizer, django_user_model):
    settings.CELERY_BROKER_URL = rabbitmq_url
    worker, queue = gpu_worker
    alice = make_user("alice")
    alices = make_competition("alices", created_by=alice)
    ComputeQueue.assign(queue, alices)

    mine = _panel(alice, alices)
    assert f'data-worker="{worker.worker_id}@' in mine and queue in mine

    theirs = _panel(organizer, competition)  # olga's competition uses the shared queue only
    assert worker.worker_id not in theirs and queue not in theirs

    staff = _panel(django_user_model.objects.create_superuser("root", password="pw"), competition)
    assert f'data-worker="{worker.worker_id}@' in staff and queue in staff
