"""Resolve a participant's image: registry check, pull policy, size cap, digest and labels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import docker
import docker.errors
import requests

from . import protocol
from .protocol import FailureReason

logger = logging.getLogger(__name__)


class ImageProblem(RuntimeError):
    """The image cannot be used; :attr:`reason` is the failure to report."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ResolvedImage:
    """A local image ready to run."""

    image_id: str
    digest: str
    labels: dict[str, str] = field(default_factory=dict)


def _get_local(client: docker.DockerClient, ref: protocol.ImageReference) -> docker.models.images.Image | None:
    candidates = [ref.normalized]
    if ref.registry == protocol.DEFAULT_REGISTRY:
        # The engine stores Docker Hub names without the registry; both spellings resolve.
        short = ref.repository.removeprefix("library/")
        suffix = (f":{ref.tag}" if ref.tag else "") + (f"@{ref.digest}" if ref.digest else "")
        candidates.append(short + suffix)
    for name in candidates:
        try:
            return client.images.get(name)
        except docker.errors.ImageNotFound:
            continue
        except docker.errors.APIError as exc:
            if exc.status_code == 404:
                continue
            raise
    return None


def _pull(client: docker.DockerClient, ref: protocol.ImageReference) -> None:
    repository = ref.name
    try:
        if ref.digest:
            client.api.pull(repository, tag=ref.digest)
        else:
            client.api.pull(repository, tag=ref.tag or "latest")
    except docker.errors.APIError as exc:
        text = str(exc.explanation or exc).lower()
        if exc.status_code in (401, 403) or "unauthorized" in text or "denied" in text or "authentication" in text:
            raise ImageProblem(FailureReason.IMAGE_UNAUTHORIZED,
                               f"The image {ref.normalized} cannot be pulled: access denied by the registry.") from exc
        if exc.status_code == 404 or "not found" in text or "manifest unknown" in text:
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                               f"The image {ref.normalized} was not found in its registry.") from exc
        raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                           f"The image {ref.normalized} could not be pulled: {exc.explanation or exc}") from exc
    except requests.RequestException as exc:
        raise ImageProblem(FailureReason.RUNTIME_ERROR, f"The Docker engine did not answer the pull: {exc}") from exc


def resolve_image(
    client: docker.DockerClient,
    reference: str,
    *,
    pull_policy: str,
    worker_registries: Sequence[str],
    request_registries: Sequence[str],
    max_image_mb: int,
) -> ResolvedImage:
    """Make ``reference`` available locally according to ``pull_policy`` and describe it.

    Raises :class:`ImageProblem` for an invalid reference, a registry outside either allow
    list, an image not found or unauthorized, and an image larger than ``max_image_mb``.
    """
    try:
        ref = protocol.parse_reference(reference)
    except protocol.ProtocolError as exc:
        raise ImageProblem(FailureReason.INVALID_REQUEST, f"Invalid image reference: {exc}") from exc
    for allowed, who in ((worker_registries, "this worker"), (request_registries, "the competition")):
        if not protocol.registry_allowed(ref, list(allowed)):
            raise ImageProblem(FailureReason.IMAGE_NOT_ALLOWED,
                               f"Images from {ref.registry} are not allowed by {who} "
                               f"(allowed: {', '.join(allowed)}).")
    image = None if pull_policy == "always" else _get_local(client, ref)
    if image is None:
        if pull_policy == "never":
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                               f"The image {ref.normalized} is not on this worker and its pull policy is 'never'.")
        _pull(client, ref)
        image = _get_local(client, ref)
        if image is None:
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                               f"The image {ref.normalized} was not found after pulling.")
    attrs = image.attrs
    size = int(attrs.get("Size") or 0)
    if size > max_image_mb * (1 << 20):
        raise ImageProblem(FailureReason.IMAGE_TOO_LARGE,
                           f"The image {ref.normalized} is {size / (1 << 20):.0f} MB; this worker accepts at most "
                           f"{max_image_mb} MB.")
    repo_digests = attrs.get("RepoDigests") or []
    digest = next((d for d in repo_digests if d.split("@")[0] in (ref.name, ref.repository.removeprefix("library/"))),
                  repo_digests[0] if repo_digests else image.id)
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    labels = {str(k): str(v) for k, v in labels.items() if isinstance(k, str)}
    return ResolvedImage(image_id=image.id, digest=digest, labels=labels)
