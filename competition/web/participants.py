"""Registration (participants) and its management (organizers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from competition.models import Participant

from .access import get_organized_competition, get_visible_competition

STATUS_FILTERS = [Participant.PENDING, Participant.APPROVED, Participant.DENIED]


@login_required
@require_POST
def register(request, slug: str):
    """Register the user: approved at once when the competition auto-approves, else pending."""
    competition = get_visible_competition(request, slug)
    status = Participant.APPROVED if competition.auto_approve_participants else Participant.PENDING
    try:
        registration, created = Participant.objects.get_or_create(
            competition=competition, user=request.user, defaults={"status": status}
        )
    except IntegrityError:  # a concurrent double click
        registration, created = Participant.objects.get(competition=competition, user=request.user), False
    if not created:
        messages.info(request, "You are already registered.")
    elif registration.status == Participant.APPROVED:
        messages.success(request, "You are registered: you can submit now.")
    else:
        messages.info(request, "Your registration is pending: an organizer will review it.")
    return redirect("competition_participate", slug=competition.slug)


@login_required
def manage(request, slug: str):
    """The organizers' list of registrations, pending first."""
    competition = get_organized_competition(request, slug)
    registrations = competition.participants.select_related("user", "team").order_by("status", "created")
    wanted = request.GET.get("status", "")
    if wanted in STATUS_FILTERS:
        registrations = registrations.filter(status=wanted)
    counts = {s: competition.participants.filter(status=s).count() for s in STATUS_FILTERS}
    return render(
        request,
        "competition/participants.html",
        {
            "competition": competition,
            "registrations": registrations,
            "wanted": wanted,
            "counts": counts,
            "is_organizer": True,
            "tab": "participants",
        },
    )


@login_required
@require_POST
def decide(request, slug: str, participant_id: int, action: str):
    """Approve or deny one registration."""
    competition = get_organized_competition(request, slug)
    registration = Participant.objects.filter(competition=competition, pk=participant_id).select_related("user").first()
    if registration is None:
        raise Http404("No such registration.")
    registration.status = {"approve": Participant.APPROVED, "deny": Participant.DENIED}[action]
    registration.save(update_fields=["status"])
    messages.success(request, f"{registration.user.username}: {registration.get_status_display().lower()}.")
    return redirect("competition_participants", slug=competition.slug)
