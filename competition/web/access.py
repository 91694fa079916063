"""Who may see and edit what: shared by every page.

- A published competition is visible to everybody; an unpublished one only to its organizers
  (others get 404, so its existence does not leak).
- Organizer pages (edit, phases, participants) answer 403 to signed-in non-organizers.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from competition.models import Competition, Participant


def visible_competitions(user) -> QuerySet[Competition]:
    """The competitions ``user`` may see."""
    qs = Competition.objects.all()
    if user.is_authenticated and user.is_superuser:
        return qs
    if user.is_authenticated:
        return qs.filter(Q(published=True) | Q(created_by=user) | Q(admins=user)).distinct()
    return qs.filter(published=True)


def organized_competitions(user) -> QuerySet[Competition]:
    """The competitions ``user`` organizes (all of them for a superuser)."""
    if user.is_superuser:
        return Competition.objects.all()
    return Competition.objects.filter(Q(created_by=user) | Q(admins=user)).distinct()


def get_visible_competition(request, slug: str) -> Competition:
    """The competition named ``slug`` if the user may see it, else 404."""
    competition = Competition.objects.filter(slug=slug).select_related("created_by").first()
    if competition is None:
        raise Http404("No such competition.")
    if not competition.published and not competition.is_organizer(request.user):
        raise Http404("No such competition.")
    return competition


def get_organized_competition(request, slug: str) -> Competition:
    """The competition named ``slug`` if the user organizes it: 404 when invisible, 403 otherwise."""
    competition = get_visible_competition(request, slug)
    if not competition.is_organizer(request.user):
        raise PermissionDenied("Only the competition's organizers may do this.")
    return competition


def registration_of(competition: Competition, user) -> Participant | None:
    """``user``'s registration to ``competition``, if any."""
    if not user.is_authenticated:
        return None
    return Participant.objects.filter(competition=competition, user=user).first()
