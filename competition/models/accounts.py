"""The models of the account rules: API tokens, usernames' skeletons and co-organizer invitations.

They name other models by string, so this module imports nothing else of the app.
"""

from __future__ import annotations

import hashlib
import secrets

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


class Invitation(models.Model):
    """What every invitation has: who sent it and when (it lapses, :mod:`competition.invitation_rules`).

    The concrete invitations name what they invite to and the invited user themselves, so that
    each keeps its own reverse names.
    """

    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created"]


class AdminInvitation(Invitation):
    """An organizer asked ``user`` to co-organize ``competition``; ``user`` becomes an admin on accepting.

    The inviter is never told whether the name exists: the competition form answers the same
    for every name, and pending invitations are shown to the invited user only.
    """

    competition = models.ForeignKey("competition.Competition", on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")

    class Meta(Invitation.Meta):
        constraints = [models.UniqueConstraint(fields=["competition", "user"], name="one_invitation_per_user")]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.competition}"


def hash_token(token: str) -> str:
    """The stored form of a token (sha256 hex): tokens are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> str:
    """A random API key that does not begin with ``-``, which a command line would take for an option.

    (``evalbox status 1 --token -x...`` fails with "expected one argument"; one key in 64 would.)
    """
    while True:
        key = secrets.token_urlsafe(32)
        if not key.startswith("-"):
            return key


class ApiToken(models.Model):
    """A user's key for ``Authorization: Token <key>`` (scripts and the ``evalbox`` CLI)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"API token of {self.user}"

    @classmethod
    def issue(cls, user) -> str:
        """Create or replace ``user``'s token and return the key (only its hash is stored)."""
        key = new_api_key()
        cls.objects.update_or_create(user=user, defaults={"key_hash": hash_token(key)})
        return key
