"""The site's reading of a typed image reference: the one check the submit API applies, and where the
image will be pulled from, which the submit modal shows before anything is submitted
(``GET /api/competitions/<slug>/references/?image=<typed>``, in :mod:`competition.api.participant`).
"""

from __future__ import annotations

from compute_worker.protocol import ImageReference, ProtocolError, parse_reference, registry_allowed

from ..models import Competition
from ..registry.pinning import is_platform
from .common import field_error


def read_reference(competition: Competition, typed: object) -> ImageReference:
    """The reference ``typed`` names, allowed by the competition; a 400 naming the problem otherwise."""
    try:
        reference = parse_reference(typed)
    except ProtocolError as exc:
        raise field_error("image", str(exc)) from exc
    allowed_list = competition.allowed_registry_list
    if not registry_allowed(reference, allowed_list):
        raise field_error("image", f"The registry '{reference.registry}' is not allowed here "
                                   f"(allowed: {', '.join(allowed_list)}).")
    return reference


def where_from(reference: ImageReference) -> str:
    """Where a worker pulls ``reference`` from, in words."""
    if is_platform(reference):
        return f"the platform registry ({reference.registry}), as {reference.normalized}"
    if reference.registry == "docker.io":
        return f"Docker Hub (docker.io), as {reference.normalized}"
    return f"{reference.registry}, as {reference.normalized}"
