"""Submission states, failure reasons and the one table of allowed moves between states.

A submission moves only by an :class:`Action`; :data:`TRANSITIONS` says, for each state, which
actions are allowed and where they lead. Everything else is refused. The site's state machine
(``competition/transitions.py``) is the only code that applies these moves; the worker uses the
same names in its reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Status(StrEnum):
    """Submission states (``docs/architecture.md``, "States")."""

    SUBMITTED = "SUBMITTED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SCORING = "SCORING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        """True for states that change only by a rerun."""
        return self in FINAL_STATES


FINAL_STATES = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})
ACTIVE_STATES = frozenset(Status) - FINAL_STATES


class Action(StrEnum):
    """What moves a submission: the site's dispatch, a worker's report, a person's request."""

    QUEUE = "queue"      # the site sent the task to the broker
    START = "start"      # a worker reported RUNNING
    SCORE = "score"      # a worker reported SCORING
    FINISH = "finish"    # a worker reported a FINISHED result
    FAIL = "fail"        # a worker reported a FAILED result, or the sweep found it lost
    CANCEL = "cancel"    # the participant or an organizer cancelled it
    RERUN = "rerun"      # an organizer started a new attempt


def _table() -> dict[tuple[Status, Action], Status]:
    moves = {
        (Status.SUBMITTED, Action.QUEUE): Status.QUEUED,
        # The site records QUEUED only after the broker confirmed the message, so a quick worker
        # can report RUNNING first: the message exists, only the site's bookkeeping lags.
        (Status.SUBMITTED, Action.START): Status.RUNNING,
        (Status.QUEUED, Action.START): Status.RUNNING,
        (Status.RUNNING, Action.SCORE): Status.SCORING,
        (Status.SCORING, Action.FINISH): Status.FINISHED,
    }
    for state in ACTIVE_STATES:
        moves[(state, Action.FAIL)] = Status.FAILED
        moves[(state, Action.CANCEL)] = Status.CANCELLED
    for state in FINAL_STATES:
        moves[(state, Action.RERUN)] = Status.SUBMITTED
    return moves


#: ``(current state, action) -> next state`` for every allowed move; nothing else is allowed.
TRANSITIONS: Mapping[tuple[Status, Action], Status] = MappingProxyType(_table())

#: The action a worker's status report of a state stands for.
REPORTED_ACTIONS: Mapping[Status, Action] = MappingProxyType({
    Status.RUNNING: Action.START,
    Status.SCORING: Action.SCORE,
    Status.FINISHED: Action.FINISH,
    Status.FAILED: Action.FAIL,
})


def next_status(current: Status, action: Action) -> Status | None:
    """Where ``action`` takes a submission in ``current``, or ``None`` when it is not allowed."""
    return TRANSITIONS.get((current, action))


class FailureReason(StrEnum):
    """Why a submission FAILED; the site has the words shown to people."""

    INVALID_REQUEST = "invalid_request"
    IMAGE_NOT_FOUND = "image_not_found"
    IMAGE_UNAUTHORIZED = "image_unauthorized"
    IMAGE_TOO_LARGE = "image_too_large"
    IMAGE_NOT_ALLOWED = "image_not_allowed"
    IMAGE_PLATFORM_MISSING = "image_platform_missing"
    IMAGE_UNSUPPORTED = "image_unsupported"
    IMAGE_PULL_TIMEOUT = "image_pull_timeout"
    IMAGE_REGISTRY_UNREACHABLE = "image_registry_unreachable"
    DATA_ERROR = "data_error"
    TIME_LIMIT = "time_limit"
    OUT_OF_MEMORY = "out_of_memory"
    NON_ZERO_EXIT = "non_zero_exit"
    OUTPUT_TOO_LARGE = "output_too_large"
    BAD_OUTPUT = "bad_output"
    CONTAINER_VANISHED = "container_vanished"
    SCORING_ERROR = "scoring_error"
    GPU_UNAVAILABLE = "gpu_unavailable"
    RUNTIME_ERROR = "runtime_error"
    WORKER_LOST = "worker_lost"
    WORKER_ERROR = "worker_error"
