"""The site's own calls to the platform registry's API, with tokens it signs itself.

:func:`resolve` turns a tag into the digest the registry serves for it now (``HEAD
/v2/<name>/manifests/<tag>``), :func:`manifest_size` sums a manifest's compressed config and
layers, :func:`delete_manifest` removes one (housekeeping). Problems raise
:class:`RegistryUnavailable` (the registry cannot be reached or answers 5xx) or
:class:`ManifestUnknown` (no such tag or digest).
"""

from __future__ import annotations

import json

import requests

from .names import api_url
from .tokens import Scope, sign_token

#: Every manifest format the workers run, newest first; a registry answers with the one it has.
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
TIMEOUT_S = 10
_SITE_SUBJECT = "evalbox-site"


class RegistryUnavailable(RuntimeError):
    """The registry did not answer, or answered with an error the site cannot act on."""


class ManifestUnknown(LookupError):
    """The registry has no manifest for this tag or digest."""


def _call(method: str, repository: str, reference: str, actions: tuple[str, ...]) -> requests.Response:
    token, _ = sign_token(_SITE_SUBJECT, [Scope("repository", repository, actions)], 60)
    headers = {"Authorization": f"Bearer {token}", "Accept": ", ".join(MANIFEST_TYPES)}
    url = f"{api_url()}/v2/{repository}/manifests/{reference}"
    try:
        response = requests.request(method, url, headers=headers, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise RegistryUnavailable(f"the registry cannot be reached ({type(exc).__name__})") from exc
    if response.status_code == 404:
        raise ManifestUnknown(f"{repository}:{reference} is not in the registry")
    if response.status_code >= 400:
        raise RegistryUnavailable(f"the registry answered {response.status_code} to {method} {repository}")
    return response


def resolve(repository: str, reference: str) -> str:
    """The digest the registry serves for ``reference`` (a tag or a digest) of ``repository``."""
    digest = _call("HEAD", repository, reference, ("pull",)).headers.get("Docker-Content-Digest", "")
    if not digest.startswith("sha256:"):
        raise RegistryUnavailable(f"the registry gave no digest for {repository}:{reference}")
    return digest


def manifest_size(repository: str, digest: str) -> int:
    """The compressed bytes of a manifest's config and layers (0 for an index: its children count)."""
    try:
        manifest = json.loads(_call("GET", repository, digest, ("pull",)).content)
    except ValueError as exc:
        raise RegistryUnavailable(f"the manifest of {repository}@{digest} is not JSON") from exc
    parts = [manifest.get("config") or {}, *(manifest.get("layers") or [])]
    return sum(int(part.get("size") or 0) for part in parts if isinstance(part, dict))


def delete_manifest(repository: str, digest: str) -> bool:
    """Delete a manifest; whether it was there."""
    try:
        _call("DELETE", repository, digest, ("delete",))
    except ManifestUnknown:
        return False
    return True
