"""Who sees a phase's scores: the one rule that every surface asks.

A phase's leaderboard is public (every score at once, the default), private until an
organizer publishes it, or private until the phase ends (or an organizer publishes it
earlier). While it is private, everyone but the competition's organizers sees no score of the
phase anywhere: no leaderboard row (page, chart, CSV, JSON, CLI), no score of their own
submissions (the participate tab, the submissions API, the CLI), no detailed results and no
scoring log (a scorer may print the scores there); they still see their submissions' status.
Publishing is an organizer's explicit act, recorded with who and when (:func:`publish`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from compute_worker.protocol import Status

from .models import Phase, Submission, Visibility

logger = logging.getLogger(__name__)


def scores_public(phase: Phase, now: datetime | None = None) -> bool:
    """Whether everybody may see ``phase``'s scores at ``now``."""
    if phase.leaderboard_visibility == Visibility.PUBLIC or phase.results_published_at is not None:
        return True
    if phase.leaderboard_visibility == Visibility.UNTIL_END:
        return phase.has_ended(now)
    return False


def can_see_scores(phase: Phase, *, organizer: bool, now: datetime | None = None) -> bool:
    """Whether a viewer sees ``phase``'s scores: its organizers always, anyone else once they are public."""
    return organizer or scores_public(phase, now)


def private_message(phase: Phase) -> str:
    """What a participant reads instead of the scores of a private phase."""
    if phase.leaderboard_visibility == Visibility.UNTIL_END and phase.end is not None:
        return (f"The scores of {phase.name} are private until the phase ends "
                f"({phase.end.strftime('%Y-%m-%d %H:%M')} UTC).")
    return f"The scores of {phase.name} are private until the organizers publish them."


def can_publish(phase: Phase, now: datetime | None = None) -> bool:
    """Whether publishing would change anything: the phase is private and not published yet."""
    return not scores_public(phase, now)


def publish(phase: Phase, by) -> Phase:
    """Make a private ``phase``'s scores public now, recording who did it and when.

    Publishing twice keeps the first record; a phase already public (by its setting or its
    end) records nothing (``results_published_at`` stays ``None``). Publishing cannot be undone:
    once participants have seen the scores, hiding them again would hide nothing.
    """
    with transaction.atomic():
        locked = Phase.objects.select_for_update().get(pk=phase.pk)
        if can_publish(locked):
            locked.results_published_at = timezone.now()
            locked.results_published_by = by
            locked.save(update_fields=["results_published_at", "results_published_by"])
            logger.info("phase %s (%s) published by %s", locked.pk, locked, by)
    return locked


def can_see_detailed_results(submission: Submission, *, organizer: bool) -> bool:
    """Whether a viewer of ``submission`` (its owner, or an organizer) may read its detailed results.

    Organizers always may; the owner only when the phase allows it and its scores are public
    (detailed results are scores too). There must be some, of a FINISHED submission.
    """
    if not submission.detailed_results or submission.status != Status.FINISHED.value:
        return False
    return organizer or (submission.phase.show_detailed_results and scores_public(submission.phase))
