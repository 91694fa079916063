"""A user's registration to a competition."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .competitions import Competition


class Participant(models.Model):
    """A user's registration to a competition."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    STATUS_CHOICES = [(PENDING, "Pending"), (APPROVED, "Approved"), (DENIED, "Denied")]

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    team = models.ForeignKey("competition.Team", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="members")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["competition", "user"], name="one_registration_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.competition} ({self.status})"
