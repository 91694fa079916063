"""The shared RabbitMQ of the tests: its URL, unique names on it, and deleting what a test declared."""

from __future__ import annotations

import os
import uuid

from kombu import Connection

AMQP_URL = os.environ.get("EVALBOX_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def unique_name(prefix: str) -> str:
    """A name no other test run uses (queues, worker ids)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def delete_queue(name: str, url: str = AMQP_URL) -> None:
    """Delete a compute queue and its exchange from RabbitMQ."""
    with Connection(url, connect_timeout=3) as connection:
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)
