"""Failure reasons as people read them, and which of them are the platform's fault."""

from __future__ import annotations

from compute_worker.protocol import FailureReason

FAILURE_LABELS: dict[FailureReason, str] = {
    FailureReason.INVALID_REQUEST: "Invalid request",
    FailureReason.IMAGE_NOT_FOUND: "Image not found",
    FailureReason.IMAGE_UNAUTHORIZED: "Image access denied",
    FailureReason.IMAGE_TOO_LARGE: "Image too large",
    FailureReason.IMAGE_NOT_ALLOWED: "Image not allowed",
    FailureReason.IMAGE_PLATFORM_MISSING: "Image platform missing",
    FailureReason.IMAGE_UNSUPPORTED: "Image format unsupported",
    FailureReason.IMAGE_PULL_TIMEOUT: "Image pull timed out",
    FailureReason.IMAGE_REGISTRY_UNREACHABLE: "Registry unreachable",
    FailureReason.DATA_ERROR: "Data error",
    FailureReason.TIME_LIMIT: "Time limit exceeded",
    FailureReason.OUT_OF_MEMORY: "Out of memory",
    FailureReason.NON_ZERO_EXIT: "Non-zero exit",
    FailureReason.OUTPUT_TOO_LARGE: "Output too large",
    FailureReason.BAD_OUTPUT: "Bad output",
    FailureReason.CONTAINER_VANISHED: "Container vanished",
    FailureReason.SCORING_ERROR: "Scoring error",
    FailureReason.GPU_UNAVAILABLE: "GPU unavailable",
    FailureReason.RUNTIME_ERROR: "Container runtime error",
    FailureReason.WORKER_LOST: "Worker lost",
    FailureReason.WORKER_ERROR: "Worker error",
}

#: Failures caused by the platform, the organizers or the registry's connection, not the
#: participant's image: they do not count against a quota (docs/participants.md marks them).
PLATFORM_FAILURES = frozenset({
    FailureReason.WORKER_LOST, FailureReason.WORKER_ERROR, FailureReason.DATA_ERROR, FailureReason.SCORING_ERROR,
    FailureReason.GPU_UNAVAILABLE, FailureReason.IMAGE_PULL_TIMEOUT, FailureReason.IMAGE_REGISTRY_UNREACHABLE,
})

#: What a participant reads instead of the worker's own words for these reasons: an unexpected
#: error's text may name the worker's machines, paths or addresses (organizers read it as is).
PARTICIPANT_MESSAGES: dict[FailureReason, str] = {
    FailureReason.WORKER_ERROR: "An unexpected error in the worker, not caused by your image; it cost no "
                                "submission. The organizers see the details: resubmit, or tell them if it repeats.",
}


def failure_message(reason: str, message: str, *, organizer: bool) -> str:
    """The failure message ``organizer`` (or the participant) reads for ``reason``."""
    if organizer or not reason:
        return message
    return PARTICIPANT_MESSAGES.get(FailureReason(reason), message)
