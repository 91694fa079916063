"""Resolve an image to run: registry check, pull policy, manifest checks, pull by digest, size cap, cache.

:func:`resolve_image` makes an image reference available locally under the worker's rules and
describes it. A reference found on the machine is used as it is (policy ``if-not-present`` or
``never``); otherwise the manifest is read and checked through the registry API first
(:mod:`.manifests`), the image is pulled by digest (:mod:`.pull`) and recorded in the image
cache, and its uncompressed size is checked again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import docker
import docker.errors

from . import protocol, registry_guard
from .failure import ImageProblem
from .image_cache import ImageCache, Remover
from .manifests import inspect_manifest
from .protocol import FailureReason
from .pull import Progress, pull_image
from .registry_auth import PullAuth

logger = logging.getLogger(__name__)

__all__ = ["ImagePolicy", "ImageProblem", "ResolvedImage", "resolve_image"]


@dataclass(frozen=True)
class ResolvedImage:
    """A local image ready to run; ``pulled_bytes`` is what this resolution downloaded."""

    image_id: str
    digest: str
    labels: dict[str, str] = field(default_factory=dict)
    pulled_bytes: int = 0


@dataclass(frozen=True)
class ImagePolicy:
    """The worker's rules for one image."""

    pull_policy: str
    worker_registries: Sequence[str]
    request_registries: Sequence[str]
    max_image_mb: int
    pull_timeout_s: float
    architecture: str
    role: str = "participant"
    keep_until: float = 0.0
    progress_every_s: float = 5.0
    #: The registries allowed at any address, and the hosts of the site and broker, for
    #: :func:`registry_guard.check_registry`; ``None``: no check (``evalbox try``).
    trusted_registries: Sequence[str] | None = ()
    infrastructure_hosts: Sequence[str] = ()


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


def _checked_reference(reference: str, policy: ImagePolicy) -> protocol.ImageReference:
    try:
        ref = protocol.parse_reference(reference)
    except protocol.ProtocolError as exc:
        raise ImageProblem(FailureReason.INVALID_REQUEST, f"Invalid image reference: {exc}") from exc
    for allowed, who in ((policy.worker_registries, "this worker"), (policy.request_registries, "the competition")):
        if not protocol.registry_allowed(ref, list(allowed)):
            raise ImageProblem(FailureReason.IMAGE_NOT_ALLOWED,
                               f"Images from {ref.registry} are not allowed by {who} "
                               f"(allowed: {', '.join(allowed)}).")
    return ref


def _describe(image: docker.models.images.Image, ref: protocol.ImageReference, max_image_mb: int,
              pulled_bytes: int = 0) -> ResolvedImage:
    """The size check after the pull, the digest the engine knows, the labels."""
    attrs = image.attrs
    size = int(attrs.get("Size") or 0)
    if size > max_image_mb * (1 << 20):
        raise ImageProblem(FailureReason.IMAGE_TOO_LARGE,
                           f"The image {ref.normalized} is {size / (1 << 20):.0f} MB; this worker accepts at most "
                           f"{max_image_mb} MB.")
    # The registry digest of this very name; else the image id (a digest under another name says nothing).
    names = (ref.name, ref.repository.removeprefix("library/"))
    digest = next((d for d in attrs.get("RepoDigests") or []
                   if d.split("@")[0] in names and (not ref.digest or d.endswith(ref.digest))), image.id)
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    labels = {str(k): str(v) for k, v in labels.items() if isinstance(k, str)}
    return ResolvedImage(image_id=image.id, digest=digest, labels=labels, pulled_bytes=pulled_bytes)


def _remover(client: docker.DockerClient) -> Remover:
    def remove(reference: str) -> bool:
        try:
            client.images.remove(reference)
        except docker.errors.ImageNotFound:
            return True
        except docker.errors.APIError as exc:  # a container still uses it
            logger.info("image %s not evicted: %s", reference, exc.explanation or exc)
            return False
        return True
    return remove


def resolve_image(client: docker.DockerClient, reference: str, policy: ImagePolicy, *, auth: PullAuth,
                  cache: ImageCache, leases: contextlib.ExitStack, progress: Progress | None = None) -> ResolvedImage:
    """Make ``reference`` available locally under ``policy`` and describe it.

    The pulled image stays leased in ``cache`` (so no other job evicts it) until ``leases``
    closes. Raises :class:`ImageProblem` for an invalid reference, a registry outside either
    allow list or at an internal address, an image not found, refused, of another platform or format, too large, or a
    pull past its time limit.
    """
    ref = _checked_reference(reference, policy)
    if ref.digest:
        leases.enter_context(cache.lease(f"{ref.name}@{ref.digest}"))
    image = None if policy.pull_policy == "always" else _get_local(client, ref)
    if image is not None:
        return _describe(image, ref, policy.max_image_mb)
    if policy.pull_policy == "never":
        raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                           f"The image {ref.normalized} is not on this worker and its pull policy is 'never'.")
    if policy.trusted_registries is not None:
        # The site's pull token names its own (platform) registry: trusted by configuration of the site.
        trusted = [*policy.trusted_registries, *([ref.registry] if auth.bearer else [])]
        registry_guard.check_registry(ref.registry, trusted=trusted, infrastructure=policy.infrastructure_hosts)
    facts = inspect_manifest(auth, ref, architecture=policy.architecture, max_bytes=policy.max_image_mb * (1 << 20),
                             timeout_s=min(60.0, policy.pull_timeout_s))
    pinned = protocol.parse_reference(f"{ref.name}@{facts.digest}")
    if not ref.digest:
        leases.enter_context(cache.lease(pinned.normalized))
    image = _get_local(client, pinned)
    pulled = 0
    if image is None:
        pulled = pull_image(client, ref.name, facts.digest, auth_config=auth.engine_auth(ref.registry),
                            timeout_s=policy.pull_timeout_s, total_bytes=facts.compressed_bytes, progress=progress,
                            progress_every_s=policy.progress_every_s)
        image = _get_local(client, pinned)
        if image is None:
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND, f"The image {pinned.normalized} was not found after "
                                                              "pulling.")
        cache.record(pinned.normalized, int(image.attrs.get("Size") or 0), role=policy.role,
                     keep_until=policy.keep_until)
        cache.evict(_remover(client), keep=pinned.normalized)
    return _describe(image, pinned, policy.max_image_mb, pulled)
