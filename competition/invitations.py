"""Co-organizers join by invitation: an organizer names them, each accepts (or declines) on their own page.

Naming someone never tells the organizer whether the account exists (:func:`invite` answers the
same for any name); pending invitations are shown to the invited user only, and lapse
(:mod:`competition.invitation_rules`, which team invitations share).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from .invitation_rules import answer_invitation, unexpired
from .models import AdminInvitation, Competition


def invite(competition: Competition, names: list[str], invited_by) -> None:
    """Invite the accounts named ``names`` (if they exist) that do not organize ``competition`` yet."""
    users = (get_user_model().objects.filter(username__in=names, is_active=True)
             .exclude(pk=competition.created_by_id).exclude(administered_competitions=competition))
    for user in users:
        AdminInvitation.objects.get_or_create(competition=competition, user=user,
                                              defaults={"invited_by": invited_by})


def pending_for(user) -> QuerySet[AdminInvitation]:
    """``user``'s invitations that have not lapsed, newest first."""
    return unexpired(AdminInvitation.objects.filter(user=user)).select_related("competition", "invited_by")


def answer(user, invitation_id: int, accept: bool) -> Competition | None:
    """Accept (become an admin) or decline one of ``user``'s pending invitations; its competition, or ``None``."""
    invitation = answer_invitation(pending_for(user), invitation_id, accept,
                                   lambda found: found.competition.admins.add(user))
    return invitation.competition if invitation else None
