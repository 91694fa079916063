"""How the site and the workers meet on the broker: queue declaration and transport options.

The site's dispatch and the worker declare every compute queue with :func:`compute_queue`, so
a queue is never declared twice with different arguments (RabbitMQ refuses the second
declaration with ``PRECONDITION_FAILED``). Unlike the rest of the contract this module needs
``kombu``, which both sides install with Celery; the participant CLI never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kombu import Exchange, Queue

#: The compute queue of a competition that names no other.
DEFAULT_QUEUE = "compute-worker"
#: A quorum queue counts deliveries; RabbitMQ drops a message past the limit and the worker
#: ends it as FAILED (worker lost) one delivery earlier.
DELIVERY_LIMIT = 3
QUEUE_ARGUMENTS = {"x-queue-type": "quorum", "x-delivery-limit": DELIVERY_LIMIT}

_FILESYSTEM_SUBFOLDERS = ("processed", "control")


def is_amqp(url: str) -> bool:
    """Whether a broker URL is RabbitMQ (AMQP 0-9-1)."""
    return url.split("://", 1)[0].split("+", 1)[0] in ("amqp", "amqps", "pyamqp", "librabbitmq")


def is_filesystem(url: str) -> bool:
    """Whether a broker URL is the embedded ``filesystem://`` broker of the one-machine demo."""
    return url.startswith("filesystem:")


def queue_arguments(broker_url: str) -> dict[str, Any] | None:
    """Arguments of a compute queue on this broker: :data:`QUEUE_ARGUMENTS` on RabbitMQ, none elsewhere."""
    return dict(QUEUE_ARGUMENTS) if is_amqp(broker_url) else None


def compute_queue(name: str, broker_url: str) -> Queue:
    """The durable compute queue ``name`` (a quorum queue with a delivery limit on RabbitMQ)."""
    return Queue(name, Exchange(name, type="direct", durable=True), routing_key=name, durable=True,
                 queue_arguments=queue_arguments(broker_url))


def broker_transport_options(url: str, data_dir: str | Path) -> dict[str, Any]:
    """Kombu transport options both sides use for a broker URL (computed, nothing created).

    The embedded ``filesystem://`` broker needs the site and the workers to share one folder
    (:func:`prepare_broker` creates it); on RabbitMQ, publishes wait for the broker's confirm.
    """
    if is_filesystem(url):
        folder = Path(data_dir).resolve()
        return {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    if is_amqp(url):
        return {"confirm_publish": True}
    return {}


def prepare_broker(url: str, data_dir: str | Path) -> None:
    """Create the shared folders of the ``filesystem://`` broker (owner-only); nothing for other brokers."""
    if not is_filesystem(url):
        return
    folder = Path(data_dir).resolve()
    for sub in _FILESYSTEM_SUBFOLDERS:
        (folder / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
