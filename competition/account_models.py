"""The models of the account rules: usernames' skeletons and co-organizer invitations.

``competition.models`` imports them (the app's models module); they name other models by
string so that this module imports nothing of the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UsernameSkeleton(models.Model):
    """The :func:`competition.usernames.skeleton` of a user's name, kept for the confusable check.

    Written for every new user and every renamed one (``competition.signals``), whatever created
    it (sign-up, the admin, ``createsuperuser``).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="username_skeleton")
    skeleton = models.CharField(max_length=150, db_index=True)

    def __str__(self) -> str:
        return self.skeleton


class AdminInvitation(models.Model):
    """An organizer asked ``user`` to co-organize ``competition``; ``user`` becomes an admin on accepting.

    The inviter is never told whether the name exists: the competition form answers the same
    for every name, and pending invitations are shown to the invited user only.
    """

    competition = models.ForeignKey("competition.Competition", on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="sent_invitations")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["competition", "user"], name="one_invitation_per_user")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.competition}"
