"""The team pages: form a team, invite, leave (the participate tab's forms), answer a team invitation.

Every rule is :mod:`competition.teams`'; a refused move comes back to the page with its reason.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from competition import teams
from competition.models import Participant

from .access import get_visible_competition, registration_of


def _act(request, slug: str, act: Callable[[Participant], str]):
    """Run ``act`` on the user's registration to the competition and go back to its participate tab."""
    competition = get_visible_competition(request, slug)
    registration = registration_of(competition, request.user)
    if registration is None:
        messages.error(request, "Register to the competition first.")
    else:
        try:
            messages.success(request, act(registration))
        except teams.TeamRefused as exc:
            messages.error(request, str(exc))
    return redirect("competition_participate", slug=competition.slug)


@login_required
@require_POST
def form_team(request, slug: str):
    """Form a team named ``name`` with the user as its first member."""
    def act(registration: Participant) -> str:
        team = teams.form_team(registration, request.POST.get("name", "")[:200])
        return f"Team {team.name} formed. Invite your team mates by their usernames."
    return _act(request, slug, act)


@login_required
@require_POST
def invite(request, slug: str):
    """Invite the participant named ``username`` to the user's team (the answer never says whether it exists)."""
    name = request.POST.get("username", "").strip()[:150]

    def act(registration: Participant) -> str:
        if registration.team is None:
            raise teams.TeamRefused("You are not in a team.")
        teams.invite(registration.team, registration, name)
        return (f"If {name} takes part in this competition without a team, they see your invitation on their "
                "Invitations page.")
    return _act(request, slug, act)


@login_required
@require_POST
def leave(request, slug: str):
    """Leave the user's team (the team keeps its submissions)."""
    def act(registration: Participant) -> str:
        team = teams.leave(registration)
        return f"You left {team.name}. Its submissions stay the team's; you now take part alone."
    return _act(request, slug, act)


@login_required
@require_POST
def answer(request, invitation_id: str, action: str):
    """Accept (join) or decline a team invitation; someone else's is just not found."""
    try:
        team = teams.answer(request.user, int(invitation_id), accept=action == "accept")
    except teams.TeamRefused as exc:
        messages.error(request, f"You could not join: {exc}")
        return redirect("invitations")
    if team is None:
        messages.error(request, "This invitation is no longer pending.")
        return redirect("invitations")
    if action == "accept":
        messages.success(request, f"You joined {team.name}.")
        return redirect("competition_participate", slug=team.competition.slug)
    messages.info(request, f"Invitation to {team.name} declined.")
    return redirect("invitations")
