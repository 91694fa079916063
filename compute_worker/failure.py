"""The exception that ends a submission as FAILED."""

from __future__ import annotations

from .protocol import FailureReason


class Failure(Exception):
    """Ends the submission as FAILED with ``reason``; ``message`` is shown to people."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
