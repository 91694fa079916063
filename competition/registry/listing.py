"""What a participant sees of the platform registry: the push commands and the images pushed so far."""

from __future__ import annotations

from typing import Any

from ..models import Competition, RegistryImage
from ..serializers import iso_time
from . import names


def push_instructions(competition: Competition, username: str) -> dict[str, Any]:
    """The exact ``docker login``, ``docker tag`` and ``docker push`` lines of this competition and user."""
    registry = names.host()
    target = f"{registry}/{names.repository_for(competition.slug, username, 'my-model')}:v1"
    return {
        "registry": registry,
        "namespace": names.repository_for(competition.slug, username, "").rstrip("/"),
        "login": f"docker login {registry} -u {username}",
        "tag": f"docker tag my-model:latest {target}",
        "push": f"docker push {target}",
    }


def pushed_images(competition: Competition, user) -> list[dict[str, Any]]:
    """The tagged images ``user`` pushed to this competition, newest first."""
    found = RegistryImage.objects.filter(competition=competition, owner=user).exclude(tag="")
    return [{"reference": image.reference(names.host()), "repository": image.repository, "tag": image.tag,
             "digest": image.digest, "size_bytes": image.size_bytes, "pushed_at": iso_time(image.pushed_at)}
            for image in found[:200]]


def registry_view(competition: Competition, user) -> dict[str, Any] | None:
    """The push instructions and pushed images for the modal and the API (``None`` without a registry)."""
    if not names.enabled():
        return None
    return {**push_instructions(competition, user.get_username()), "images": pushed_images(competition, user)}
