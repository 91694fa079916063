"""What the site knows of the platform registry's contents: the manifests participants pushed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .competitions import Competition


class RegistryImage(models.Model):
    """A manifest in the platform registry, recorded from the registry's push notifications.

    One row per repository and digest; ``tag`` is the tag that points at it now (``""`` once the
    tag moved on, or for a push by digest). ``size_bytes`` is the compressed size of its config
    and layers, which the participant's storage quota counts.
    """

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="registry_images")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registry_images")
    repository = models.CharField(max_length=255)
    tag = models.CharField(max_length=128, blank=True)
    digest = models.CharField(max_length=71)
    size_bytes = models.BigIntegerField(default=0)
    pushed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pushed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["repository", "digest"], name="one_row_per_manifest")]
        indexes = [models.Index(fields=["owner", "competition"])]

    def __str__(self) -> str:
        return f"{self.repository}@{self.digest}"

    def reference(self, registry: str) -> str:
        """``registry/repository:tag`` (or ``@digest`` when untagged)."""
        return f"{registry}/{self.repository}:{self.tag}" if self.tag else f"{registry}/{self.repository}@{self.digest}"
