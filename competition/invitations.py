"""Co-organizers join by invitation: an organizer names them, each accepts (or declines) on their own page.

Naming someone never tells the organizer whether the account exists (:func:`invite` answers the
same for any name); pending invitations are shown to the invited user only, and lapse after
:data:`INVITATION_DAYS` days.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import AdminInvitation, Competition

INVITATION_DAYS = 14


def invite(competition: Competition, names: list[str], invited_by) -> None:
    """Invite the accounts named ``names`` (if they exist) that do not organize ``competition`` yet."""
    users = (get_user_model().objects.filter(username__in=names, is_active=True)
             .exclude(pk=competition.created_by_id).exclude(administered_competitions=competition))
    for user in users:
        AdminInvitation.objects.get_or_create(competition=competition, user=user,
                                              defaults={"invited_by": invited_by})


def pending_for(user) -> QuerySet[AdminInvitation]:
    """``user``'s invitations that have not lapsed, newest first."""
    since = timezone.now() - timedelta(days=INVITATION_DAYS)
    return AdminInvitation.objects.filter(user=user, created__gte=since).select_related("competition", "invited_by")


def answer(user, invitation_id: int, accept: bool) -> Competition | None:
    """Accept (become an admin) or decline one of ``user``'s pending invitations; its competition, or ``None``."""
    with transaction.atomic():
        invitation = pending_for(user).select_for_update(of=("self",)).filter(pk=invitation_id).first()
        if invitation is None:
            return None
        if accept:
            invitation.competition.admins.add(user)
        invitation.delete()
        return invitation.competition
