"""What a participant sees of the platform registry: the push commands and the images pushed so far."""

from __future__ import annotations

from typing import Any

from ..models import Competition
from ..serializers import iso_time
from . import names
from .access import namespace_images, namespace_in


def push_instructions(competition: Competition, username: str, space: str) -> dict[str, Any]:
    """The exact ``docker login``, ``docker tag`` and ``docker push`` lines of a user pushing into ``space``."""
    registry = names.host()
    target = f"{registry}/{names.repository_for(competition.slug, space, 'my-model')}:v1"
    return {
        "registry": registry,
        "namespace": names.repository_for(competition.slug, space, "").rstrip("/"),
        "login": f"docker login {registry} -u {username}",
        "tag": f"docker tag my-model:latest {target}",
        "push": f"docker push {target}",
    }


def pushed_images(competition: Competition, space: str) -> list[dict[str, Any]]:
    """The tagged images of a namespace (a participant's, or a whole team's), newest first."""
    found = namespace_images(competition, space).exclude(tag="")
    return [{"reference": image.reference(names.host()), "repository": image.repository, "tag": image.tag,
             "digest": image.digest, "size_bytes": image.size_bytes, "pushed_at": iso_time(image.pushed_at)}
            for image in found[:200]]


def registry_view(competition: Competition, user) -> dict[str, Any] | None:
    """The push instructions and pushed images for the modal and the API (``None`` without a registry)."""
    if not names.enabled():
        return None
    space = namespace_in(competition, user)
    return {**push_instructions(competition, user.get_username(), space), "images": pushed_images(competition, space)}
