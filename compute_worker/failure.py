"""The exception that ends a submission as FAILED."""

from __future__ import annotations

from .protocol import FailureReason


class Failure(Exception):
    """Ends the submission as FAILED with ``reason``; ``message`` is shown to people.

    ``detail`` is what the engine or the worker saw (an engine's error, an address), reported for
    the organizers only: it may name the workers' machines.
    """

    def __init__(self, reason: FailureReason, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.detail = detail


class ImageProblem(Failure):
    """The image cannot be used (not found, refused, too large, ...); the job reports it as is for a
    participant's image and as a scoring error for the organizer's."""


def worker_error_message(exc: BaseException, worker_id: str) -> str:
    """What an organizer is told when an error the worker did not expect ended a submission."""
    return (f"The worker {worker_id} hit an internal error ({type(exc).__name__}: {str(exc)[:500]}) "
            "while running this submission. This is not the submission's fault: the worker's log has the "
            "traceback; once it is fixed, rerun the submission.")


def registry_unreachable(reference: str, detail: str) -> ImageProblem:
    """The failure of a pull whose registry could not be reached at all (DNS, TCP, TLS, timeouts).

    The cause's own text (``detail``) names the worker's resolver, addresses and ports: it goes to
    the organizers, never into the message.
    """
    return ImageProblem(FailureReason.IMAGE_REGISTRY_UNREACHABLE,
                        f"The registry of {reference} could not be reached from the worker. Check the "
                        "registry's name in the reference; if it is right, the registry is down or blocked: "
                        "resubmit later or tell the organizers.", detail)
