"""What the models' signals keep up to date: usernames' skeletons, and phases' versions when their columns change.

- :func:`record_skeleton`: each user's username skeleton (:class:`~competition.models.UsernameSkeleton`);
- :func:`bump_phase_version`: a phase's :attr:`~competition.models.Phase.version` when one of its
  leaderboard columns is saved or deleted (a submission's answer shows the columns' labels and
  precisions, and its ETag holds the phase's version). Signals rather than the column's ``save``:
  a queryset's ``delete()`` sends ``post_delete`` for each row but calls no model method.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F
from django.db.models.signals import post_delete, post_save

from .models import LeaderboardColumn, Phase, UsernameSkeleton
from .usernames import skeleton


def record_skeleton(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Store the skeleton of a new or renamed user (a sign-in saves ``last_login`` only: skipped)."""
    if not created and update_fields is not None and "username" not in update_fields:
        return
    UsernameSkeleton.objects.update_or_create(user=instance, defaults={"skeleton": skeleton(instance.username)})


def bump_phase_version(sender, instance: LeaderboardColumn, **kwargs) -> None:
    """Bump the version of the phase whose column ``instance`` was saved or deleted."""
    Phase.objects.filter(pk=instance.phase_id).update(version=F("version") + 1)


def connect() -> None:
    """Connect the receivers above."""
    post_save.connect(record_skeleton, sender=get_user_model(), dispatch_uid="evalbox-username-skeleton")
    post_save.connect(bump_phase_version, sender=LeaderboardColumn, dispatch_uid="evalbox-column-saved")
    post_delete.connect(bump_phase_version, sender=LeaderboardColumn, dispatch_uid="evalbox-column-deleted")
