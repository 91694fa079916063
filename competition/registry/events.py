"""The registry's push notifications, recorded as :class:`~competition.models.RegistryImage` rows.

The registry posts every event; a manifest push by a participant into their own namespace of a
competition (their team's, for a member of a team) becomes (or refreshes) the row of its
repository and digest, with the tag it was pushed under (the tag leaves any older row of the
same repository) and its compressed size.
Everything else (blob pushes, pulls, pushes by the site) is ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import RegistryImage
from . import client
from .access import competition_named, namespace_in
from .client import MANIFEST_TYPES
from .names import split_repository

logger = logging.getLogger(__name__)


def _pushed_manifest(event: Any) -> tuple[str, str, str, str] | None:
    """``(repository, digest, tag, pusher)`` of a manifest push event, else ``None``."""
    if not isinstance(event, dict) or event.get("action") != "push":
        return None
    target, actor = event.get("target") or {}, event.get("actor") or {}
    if not isinstance(target, dict) or not isinstance(actor, dict) or target.get("mediaType") not in MANIFEST_TYPES:
        return None
    values = (target.get("repository"), target.get("digest"), target.get("tag") or "", actor.get("name"))
    if not all(isinstance(v, str) for v in values) or not values[1].startswith("sha256:"):
        return None
    return values


def record_push(repository: str, digest: str, tag: str, pusher, size_bytes: int) -> RegistryImage | None:
    """Record one manifest push by ``pusher``; ``None`` when it is not theirs to record."""
    parts = split_repository(repository)
    competition = competition_named(parts.competition) if parts else None
    if competition is None or parts.namespace != namespace_in(competition, pusher):
        return None
    with transaction.atomic():
        if tag:
            RegistryImage.objects.filter(repository=repository, tag=tag).exclude(digest=digest).update(tag="")
        image, _ = RegistryImage.objects.update_or_create(
            repository=repository, digest=digest,
            defaults={"competition": competition, "owner": pusher, "size_bytes": size_bytes,
                      "pushed_at": timezone.now(), **({"tag": tag} if tag else {})})
    return image


def record_envelope(events: list[Any], user_model) -> int:
    """Record the manifest pushes of a notification envelope; return how many were recorded."""
    recorded = 0
    for event in events:
        pushed = _pushed_manifest(event)
        if pushed is None:
            continue
        repository, digest, tag, pusher_name = pushed
        pusher = user_model.objects.filter(username=pusher_name).first()
        if pusher is None:
            continue
        try:
            size = client.manifest_size(repository, digest)
        except (client.RegistryUnavailable, client.ManifestUnknown) as exc:
            logger.warning("pushed manifest %s@%s not sized: %s", repository, digest, exc)
            size = 0
        if record_push(repository, digest, tag, pusher, size):
            recorded += 1
    return recorded
