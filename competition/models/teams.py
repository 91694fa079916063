"""The models of teams: a team of a competition's participants and the invitations to join it.

They name other models by string, so this module imports only the shared invitation base. The
rules (who may form, join or leave a team) are :mod:`competition.teams`'.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .accounts import Invitation


class Team(models.Model):
    """Participants of one competition who submit together: one quota, one leaderboard row, one final choice.

    ``slug`` is the team's namespace (:func:`competition.teams.namespace_of`); ``skeleton`` its
    confusable form, which no account name and no other team's slug may share.
    """

    competition = models.ForeignKey("competition.Competition", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60)
    skeleton = models.CharField(max_length=60, db_index=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["competition", "slug"], name="one_team_slug_per_competition")]

    def __str__(self) -> str:
        return self.name


class TeamInvitation(Invitation):
    """A member asked ``user`` (a participant of the same competition) to join ``team``."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_invitations")

    class Meta(Invitation.Meta):
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_team_invitation_per_user")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.team}"
