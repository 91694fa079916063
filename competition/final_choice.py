"""Marking submissions as final (a phase whose rule is "the best of those marked as final").

The owner of a submission (its team, else the participant alone: :func:`competition.teams.owned_scope`)
marks at most ``phase.max_final_submissions`` of the phase's submissions before the phase ends;
from its end on the marks are frozen. A FAILED or CANCELLED submission cannot be marked, and
loses its mark when it ends so (:mod:`competition.transitions`), which frees the slot. Marks are
counted under the owner's locks (:func:`competition.teams.lock_submitter`), so two team mates
marking at once cannot exceed the limit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from compute_worker.protocol import Status

from .models import Participant, Phase, Selection, Submission
from .teams import lock_submitter, owned_scope

_UNMARKABLE = (Status.FAILED.value, Status.CANCELLED.value)


class ChoiceRefused(Exception):
    """The mark cannot change now; the message says why (HTTP 409)."""


def choice_open(phase: Phase, now: datetime | None = None) -> bool:
    """Whether marks may change in ``phase`` now: its rule is the marked ones and it has not ended."""
    return phase.selection_rule == Selection.CHOSEN and not phase.has_ended(now)


def _refusal(phase: Phase) -> str:
    if phase.selection_rule != Selection.CHOSEN:
        return f"In {phase.name} the leaderboard counts {phase.get_selection_rule_display().lower()}: nothing to mark."
    return f"{phase.name} has ended: the final choice is frozen."


def marked_count(owner: Participant, phase: Phase) -> int:
    """How many of the owner's submissions to ``phase`` are marked final (call under the owner's locks)."""
    return Submission.objects.filter(owned_scope(owner), phase=phase, final_choice=True).count()


def mark_final(participant: Participant, submission_id: int, final: bool, now: datetime | None = None) -> Submission:
    """Mark (``final=True``) or unmark one of the owner's submissions; raise :class:`ChoiceRefused` when not allowed.

    ``Submission.DoesNotExist`` when the submission is not the owner's.
    """
    with transaction.atomic():
        owner = lock_submitter(participant.pk)
        submission = Submission.objects.select_for_update(of=("self",)).select_related("phase").get(
            owned_scope(owner), pk=submission_id)
        phase = submission.phase
        if not choice_open(phase, now):
            raise ChoiceRefused(_refusal(phase))
        if final and not submission.final_choice:
            if submission.status in _UNMARKABLE:
                raise ChoiceRefused(f"Submission #{submission.pk} is {submission.status}: it cannot count.")
            marked = marked_count(owner, phase)
            if marked >= phase.max_final_submissions:
                raise ChoiceRefused(f"The final marks of {phase.name} are used up ({marked} of "
                                    f"{phase.max_final_submissions}): unmark a submission first.")
        submission.final_choice = final
        submission.save(update_fields=["final_choice"])
    return submission
