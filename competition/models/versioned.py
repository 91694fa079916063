"""Rows whose every save bumps a version: pages ask whether anything changed with one indexed query."""

from __future__ import annotations

from django.db import models


class Versioned(models.Model):
    """A model with :attr:`version`, bumped by every :meth:`save` (an ETag's part: :mod:`competition.changes`)."""

    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        """Save and bump :attr:`version`, so that a page polling it sees the change."""
        self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)
