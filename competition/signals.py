"""Keep each user's username skeleton (:class:`~competition.models.UsernameSkeleton`) up to date."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from .models import UsernameSkeleton
from .usernames import skeleton


def record_skeleton(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """Store the skeleton of a new or renamed user (a sign-in saves ``last_login`` only: skipped)."""
    if not created and update_fields is not None and "username" not in update_fields:
        return
    UsernameSkeleton.objects.update_or_create(user=instance, defaults={"skeleton": skeleton(instance.username)})


def connect() -> None:
    """Connect :func:`record_skeleton` to the user model's ``post_save``."""
    post_save.connect(record_skeleton, sender=get_user_model(), dispatch_uid="evalbox-username-skeleton")
