"""What runs is what was submitted: the pinned reference (``name@sha256:...``) of a submission.

An image in the platform registry is pinned when it is submitted: its tag is resolved to the
digest the registry serves at that moment, and only one's own images of the competition may be
submitted. An image elsewhere is pinned by the digest its first run pulled, so a rerun runs the
same bytes.
"""

from __future__ import annotations

from compute_worker.protocol import ImageReference, ProtocolError, parse_reference

from . import client, names


class PinProblem(Exception):
    """The image cannot be submitted; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def is_platform(reference: ImageReference) -> bool:
    """Whether ``reference`` names the platform registry."""
    return names.enabled() and reference.registry == names.host()


def pin_submitted(competition_slug: str, space: str, reference: ImageReference) -> str:
    """The pinned reference of a platform image submitted from the namespace ``space``; raise :class:`PinProblem`."""
    parts = names.split_repository(reference.repository)
    mine = names.repository_for(competition_slug, space, "")
    if parts is None or not reference.repository.startswith(mine):
        raise PinProblem(400, f"You may submit only your own images of this competition: {names.host()}/{mine}"
                              "<name>:<tag>.")
    wanted = reference.digest or reference.tag or "latest"
    try:
        digest = client.resolve(reference.repository, wanted)
    except client.ManifestUnknown:
        raise PinProblem(400, f"{reference.normalized} is not in the registry: push it first "
                              f"(docker push {reference.normalized}).") from None
    except client.RegistryUnavailable as exc:
        raise PinProblem(503, f"The registry cannot be reached now ({exc}); try again in a minute.") from None
    return f"{reference.name}@{digest}"


def pin_from_run(image: str, reported_digest: str) -> str:
    """``name@sha256:...`` from the repository digest a worker ran, when it is one of ``image``'s name; else ``""``."""
    try:
        ran, submitted = parse_reference(reported_digest), parse_reference(image)
    except ProtocolError:
        return ""
    return f"{submitted.name}@{ran.digest}" if ran.digest and ran.name == submitted.name else ""
