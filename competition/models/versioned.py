"""Rows whose every save bumps a version: pages ask whether anything changed with one indexed query."""

from __future__ import annotations

from django.db import models
from django.db.models import F


class Versioned(models.Model):
    """A model with :attr:`version`, bumped by every :meth:`save` (an ETag's part: :mod:`competition.changes`)."""

    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        """Save and bump :attr:`version`, so that a page polling it sees the change.

        An update bumps the stored value (``version + 1`` in SQL), not this instance's: an instance
        loaded before another bump (a phase before its columns were saved) would otherwise write a
        version already given out, and a poll holding that version would not see the change. The
        bumped value is read again only if asked for (the attribute is left deferred).
        """
        updating = not self._state.adding
        if not updating:
            self.version += 1
        else:
            self.version = F("version") + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        try:
            super().save(*args, **kwargs)
        finally:
            if updating:
                self.__dict__.pop("version", None)
