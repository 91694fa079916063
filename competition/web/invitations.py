"""The invited user's page: pending co-organizer and team invitations, accepted or declined there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from competition import invitations, teams


@login_required
@require_safe
def pending(request):
    """The signed-in user's pending invitations."""
    return render(request, "registration/invitations.html",
                  {"invitations": invitations.pending_for(request.user),
                   "team_invitations": teams.pending_for(request.user)})


@login_required
@require_POST
def answer(request, invitation_id: str, action: str):
    """Accept (become a co-organizer) or decline an invitation; someone else's is just not found."""
    competition = invitations.answer(request.user, int(invitation_id), accept=action == "accept")
    if competition is None:
        messages.error(request, "This invitation is no longer pending.")
        return redirect("invitations")
    if action == "accept":
        messages.success(request, f"You now co-organize {competition.title}.")
        return redirect("competition_overview", slug=competition.slug)
    messages.info(request, f"Invitation to {competition.title} declined.")
    return redirect("invitations")


def pending_count(request) -> dict:
    """Context processor: how many invitations wait for the signed-in user (the navigation shows it)."""
    if not request.user.is_authenticated:
        return {}
    return {"pending_invitations": invitations.pending_for(request.user).count()
            + teams.pending_for(request.user).count()}
