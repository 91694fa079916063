"""What ended a container that exited non-zero by itself, read from the Docker engine's event log.

A daemon that shuts down stops its containers (SIGTERM, then SIGKILL), and so does an operator's
``docker stop`` or ``docker kill``: the program then exits non-zero through no fault of its own.
The engine logs a ``kill`` (or ``stop``) event for each such stop before it records the exit,
and a restarted engine has lost its log: it holds no ``start`` event for a container that ran.
The log is a ring of the engine's last 256 events, so on a busy engine a long run's ``start``
falls out of it too: a missing ``start`` means a restart only when the worker also lost the
engine during the run. The program's exit code is only trusted when neither is the case. The log also holds the
kernel's ``oom`` kill, which can reach the container's ``State.OOMKilled`` only after the exit
was seen (seen under gVisor on a loaded machine: a 137 without the flag). The worker asks this
only of a run that ended by itself: when it kills a container, the kill is its own.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
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


@dataclass(frozen=True)
class LoggedEnd:
    """What the engine's log says ended a container."""

    #: Stopped by the engine or an operator, or the engine restarted (or cannot be asked) since it started.
    from_outside: bool = False
    #: Killed by the kernel for memory.
    oom_killed: bool = False


def logged_end(api: docker.APIClient, container_id: str, state: dict[str, Any], *, engine_lost: bool) -> LoggedEnd:
    """What the engine's log says of the end of the container that ran in ``state`` (its inspected ``State``).

    ``engine_lost`` says the worker could not reach the engine at some point of the run. An engine
    that cannot be asked right after the run is taken as an outside stop: its exit code cannot be
    trusted to be the program's.
    """
    started, finished = _unix_time(state.get("StartedAt")), _unix_time(state.get("FinishedAt"))
    if started is None or finished is None:
        return LoggedEnd()  # never started or still running: nothing for the log to tell
    try:
        events = api.events(since=f"{started - 1:.9f}", until=f"{finished + KILL_EVENT_SLACK_S:.9f}",
                            filters={"type": "container", "container": container_id}, decode=True)
        actions = {event.get("Action") or event.get("status") for event in events}
    except (docker.errors.APIError, requests.RequestException) as exc:
        logger.warning("the engine's event log of %s could not be read: %s", container_id[:12], exc)
        return LoggedEnd(from_outside=True)
    if "start" not in actions and engine_lost:
        logger.warning("the engine has no record of starting %s: it restarted during the run", container_id[:12])
        return LoggedEnd(from_outside=True)
    return LoggedEnd(from_outside=bool(actions & _OUTSIDE_STOPS), oom_killed="oom" in actions)
