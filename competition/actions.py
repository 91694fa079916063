"""What people do to a submission: cancel it or run it again.

The JSON API, the organizer's pages and the admin call these, so the three agree on every
rule; the moves themselves are :mod:`competition.transitions`'.
"""

from __future__ import annotations

from django.db import transaction

from .dispatch import dispatch_on_commit
from .models import Submission
from .transitions import cancel, locked, rerun


def cancel_submission(submission_id: int) -> Submission:
    """Cancel a non-final submission; raise :class:`~competition.transitions.TransitionRefused` otherwise.

    A running container is killed by its worker at the next heartbeat (the site answers 409).
    """
    return locked(submission_id, None, cancel)


def rerun_submission(submission_id: int) -> Submission:
    """Start a new attempt of a final submission and send it once that commits.

    Raises :class:`~competition.transitions.TransitionRefused` for a submission still running.
    """
    with transaction.atomic():
        submission = locked(submission_id, None, rerun)
        dispatch_on_commit(submission_id)
    return submission
