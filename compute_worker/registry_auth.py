"""How the worker authenticates to an image's registry.

- An image in the platform registry: a pull token the site gave for this submission
  (:class:`~compute_worker.protocol.PullToken`), sent as it is, to the registry API and, as
  ``registrytoken``, to the engine.
- Any other registry: the credentials of ``EVALBOX_REGISTRY_AUTH_FILE`` (a docker-config JSON
  file, ``{"auths": {"host": {"auth": base64("user:password")}}}``) for that host, if any;
  anonymous otherwise.

Credentials live in :class:`PullAuth` only; its ``repr`` hides them, and nothing here logs them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .failure import ImageProblem
from .protocol import DEFAULT_REGISTRY, FailureReason, PullToken
from .protocol.references import is_loopback_registry

#: Docker Hub's API host, behind the ``docker.io`` name of references.
DOCKER_HUB_API = "registry-1.docker.io"


@dataclass(frozen=True)
class Credentials:
    """A username and password for a registry (never printed)."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True)
class PullAuth:
    """Where an image's registry API is and how to authenticate to it."""

    registry_url: str
    bearer: str = ""
    credentials: Credentials | None = None

    def __repr__(self) -> str:
        kind = "token" if self.bearer else "credentials" if self.credentials else "anonymous"
        return f"PullAuth({self.registry_url}, {kind})"

    def engine_auth(self, registry: str) -> dict[str, str] | None:
        """The ``auth_config`` of the engine's pull (``None``: anonymous)."""
        if self.bearer:
            return {"registrytoken": self.bearer}
        if self.credentials:
            return {"username": self.credentials.username, "password": self.credentials.password,
                    "serveraddress": registry}
        return None


def registry_url(registry: str, insecure: tuple[str, ...]) -> str:
    """The API base URL of ``registry``: plain HTTP for loopback and ``EVALBOX_INSECURE_REGISTRIES``, like Docker."""
    if registry == DEFAULT_REGISTRY:
        return f"https://{DOCKER_HUB_API}"
    scheme = "http" if registry in insecure or is_loopback_registry(registry) else "https"
    return f"{scheme}://{registry}"


def _entry_credentials(entry: Any) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(entry["username"], entry["password"])
    try:
        username, _, password = base64.b64decode(entry.get("auth") or "", validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, TypeError):
        return None
    return Credentials(username, password) if username and password else None


def file_credentials(auth_file: str, registry: str) -> Credentials | None:
    """The credentials of ``registry`` in the docker-config file ``auth_file`` (``""``: none configured)."""
    if not auth_file:
        return None
    try:
        auths = json.loads(Path(auth_file).read_text()).get("auths") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise ImageProblem(FailureReason.WORKER_ERROR,
                           f"The worker's registry credentials file cannot be read: {type(exc).__name__}") from None
    names = [registry, f"https://{registry}", f"http://{registry}"]
    if registry == DEFAULT_REGISTRY:
        names += ["https://index.docker.io/v1/", "index.docker.io", DOCKER_HUB_API]
    for name in names:
        for key in (name, name.rstrip("/")):
            found = _entry_credentials(auths.get(key)) if isinstance(auths, dict) else None
            if found:
                return found
    return None


def pull_auth(registry: str, *, token: PullToken | None, auth_file: str, insecure: tuple[str, ...]) -> PullAuth:
    """How to pull from ``registry``: the site's token when given, else the credentials file, else anonymous."""
    if token is not None:
        return PullAuth(token.registry_url, bearer=token.token)
    return PullAuth(registry_url(registry, insecure), credentials=file_credentials(auth_file, registry))
