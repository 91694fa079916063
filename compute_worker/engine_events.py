"""Whether the Docker engine, not the program, ended a container: read from the engine's event log.

A daemon that shuts down stops its containers (SIGTERM, then SIGKILL), and so does an operator's
``docker stop`` or ``docker kill``: the program then exits non-zero through no fault of its own.
The engine logs a ``kill`` (or ``stop``) event for each such stop before it records the exit,
and a restarted engine has lost its log: it holds no ``start`` event for a container that ran.
An error in the program's own exit code is only trusted when neither is the case. The worker asks
this only of a run that ended by itself: when it kills a container, the kill is its own.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

import docker.errors
import requests

logger = logging.getLogger(__name__)

#: How far past the recorded exit the log is read: the engine timestamps its ``kill`` event after
#: the signal is sent, so the program may have exited (``FinishedAt``) a moment before it.
KILL_EVENT_SLACK_S = 1.0
#: The events the engine logs when something other than the program ends a container.
_OUTSIDE_STOPS = frozenset({"kill", "stop", "restart"})


def _unix_time(text: str | None) -> float | None:
    """An engine timestamp (RFC 3339 with nanoseconds, ``0001-...`` when unset) as Unix seconds."""
    if not text or text.startswith("0001-"):
        return None
    whole, _, fraction = text.rstrip("Z").partition(".")
    with contextlib.suppress(ValueError):
        seconds = datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp()
        return seconds + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)
    return None


def ended_from_outside(api: docker.APIClient, container_id: str, state: dict[str, Any]) -> bool:
    """Whether the engine's log says the container that ran in ``state`` (its inspected ``State``) was
    stopped by the engine or an operator, or the engine restarted since it started.

    An engine that cannot be asked right after the run is taken as the same trouble: its exit code
    cannot be trusted to be the program's.
    """
    started, finished = _unix_time(state.get("StartedAt")), _unix_time(state.get("FinishedAt"))
    if started is None or finished is None:
        return False  # never started or still running: nothing for the log to tell
    try:
        events = api.events(since=f"{started - 1:.9f}", until=f"{finished + KILL_EVENT_SLACK_S:.9f}",
                            filters={"type": "container", "container": container_id}, decode=True)
        actions = {event.get("Action") or event.get("status") for event in events}
    except (docker.errors.APIError, requests.RequestException) as exc:
        logger.warning("the engine's event log of %s could not be read: %s", container_id[:12], exc)
        return True
    if "start" not in actions:
        logger.warning("the engine has no record of starting %s: it restarted during the run", container_id[:12])
        return True
    return bool(actions & _OUTSIDE_STOPS)
