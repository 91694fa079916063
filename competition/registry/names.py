"""Where the platform registry is, and whose repository a name is.

A participant pushes to ``<registry>/<competition>/<username>/<name>:<tag>``: the first path
component is the competition's slug, the second the participant's namespace (the username,
lowercased, with characters a repository name cannot hold replaced by ``-``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from compute_worker.protocol.references import is_loopback_registry

_INVALID = re.compile(r"[^a-z0-9._-]+")
_EDGES = re.compile(r"^[._-]+|[._-]+$")
_SEPARATOR_RUNS = re.compile(r"[._]{2,}")


def enabled() -> bool:
    """Whether the site runs a platform registry (``EVALBOX_REGISTRY`` is set)."""
    return bool(settings.EVALBOX_REGISTRY)


def host() -> str:
    """The registry's ``host[:port]`` as participants and workers type it."""
    return settings.EVALBOX_REGISTRY


def public_url() -> str:
    """The registry's base URL for workers (``EVALBOX_REGISTRY_PUBLIC_URL``, else http for loopback, https)."""
    if settings.EVALBOX_REGISTRY_PUBLIC_URL:
        return settings.EVALBOX_REGISTRY_PUBLIC_URL
    scheme = "http" if is_loopback_registry(host()) else "https"
    return f"{scheme}://{host()}"


def api_url() -> str:
    """The registry's base URL as the site reaches it (``EVALBOX_REGISTRY_URL``, else :func:`public_url`)."""
    return settings.EVALBOX_REGISTRY_URL or public_url()


def component(text: str) -> str:
    """``text`` as one repository path component (lowercase, ``[a-z0-9]`` separated by ``.``, ``_``, ``-``)."""
    value = _INVALID.sub("-", text.lower())
    value = _SEPARATOR_RUNS.sub("-", value)
    return _EDGES.sub("", value) or "x"


def namespace(username: str) -> str:
    """The registry namespace of a user."""
    return component(username)


@dataclass(frozen=True)
class RepositoryName:
    """A platform repository ``<competition>/<namespace>/<name>``."""

    competition: str
    namespace: str
    name: str

    @property
    def full(self) -> str:
        """The repository as the registry names it."""
        return f"{self.competition}/{self.namespace}/{self.name}"


def split_repository(repository: str) -> RepositoryName | None:
    """The parts of a platform repository name, or ``None`` when it has fewer than three components."""
    parts = repository.split("/")
    if len(parts) < 3 or not all(parts):
        return None
    return RepositoryName(parts[0], parts[1], "/".join(parts[2:]))


def repository_for(competition_slug: str, username: str, name: str) -> str:
    """The repository a user pushes ``name`` to in a competition."""
    return f"{component(competition_slug)}/{namespace(username)}/{name}"
