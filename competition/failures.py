"""Failure reasons as people read them (the contract's :data:`FAILURE_LABELS`), and which are the platform's fault."""

from __future__ import annotations

from compute_worker.protocol import FAILURE_LABELS, FailureReason

__all__ = ["FAILURE_LABELS", "PLATFORM_FAILURES"]


#: Failures caused by the platform, not the participant: they do not count against a quota.
PLATFORM_FAILURES = frozenset({FailureReason.WORKER_LOST, FailureReason.WORKER_ERROR})
