"""What every invitation shares (co-organizers, :mod:`competition.invitations`; teams, :mod:`competition.teams`).

An invitation is shown to the invited user only, lapses after :data:`INVITATION_DAYS` days, and
is answered once: accepting runs the invitation's own ``join`` under a row lock, in the same
transaction that deletes it, so a refused join (it raises) leaves the invitation pending.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.db import models, transaction
from django.utils import timezone

INVITATION_DAYS = 14

Invite = TypeVar("Invite", bound=models.Model)


def unexpired(invitations: models.QuerySet[Invite]) -> models.QuerySet[Invite]:
    """The invitations of ``invitations`` that have not lapsed."""
    return invitations.filter(created__gte=timezone.now() - timedelta(days=INVITATION_DAYS))


def answer_invitation(pending: models.QuerySet[Invite], invitation_id: int, accept: bool,
                      join: Callable[[Invite], None]) -> Invite | None:
    """Accept (``join`` it) or decline the invitation ``invitation_id`` of ``pending``; it, or ``None`` if not pending.

    The invitation is deleted either way, in the transaction that runs ``join``: an exception
    raised by ``join`` keeps it.
    """
    with transaction.atomic():
        invitation = pending.select_for_update(of=("self",)).filter(pk=invitation_id).first()
        if invitation is None:
            return None
        if accept:
            join(invitation)
        invitation.delete()
        return invitation
