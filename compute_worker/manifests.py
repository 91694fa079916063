"""Read an image's manifest through the registry API before any layer is fetched.

:func:`inspect_manifest` follows the registry's auth challenge (a bearer token from its realm,
with the worker's credentials if any), reads the manifest of the reference, picks the
``linux/<arch>`` entry of an index, and refuses, each with its own reason: a missing platform
(``image_platform_missing``), a media type the engine may not run (``image_unsupported``) and a
compressed size over the cap (``image_too_large``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import requests

from .failure import ImageProblem, registry_unreachable
from .protocol import FailureReason, ImageReference
from .registry_auth import PullAuth

logger = logging.getLogger(__name__)

INDEX_TYPES = frozenset({"application/vnd.oci.image.index.v1+json",
                         "application/vnd.docker.distribution.manifest.list.v2+json"})
IMAGE_TYPES = frozenset({"application/vnd.oci.image.manifest.v1+json",
                         "application/vnd.docker.distribution.manifest.v2+json"})
CONFIG_TYPES = frozenset({"application/vnd.oci.image.config.v1+json",
                          "application/vnd.docker.container.image.v1+json"})
LAYER_TYPES = frozenset({
    "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.docker.image.rootfs.diff.tar.gzip",
})
ACCEPT = ", ".join(sorted(INDEX_TYPES | IMAGE_TYPES))
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
#: A manifest is a small JSON document; anything larger is refused before it is read whole.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ManifestFacts:
    """What the registry says of an image before it is pulled."""

    digest: str  #: the digest of the reference's manifest (an index's own digest for an index)
    compressed_bytes: int  #: config and layers of the platform's manifest
    media_type: str


class _Registry:
    """One image's registry API, authenticated as :class:`PullAuth` says."""

    def __init__(self, auth: PullAuth, ref: ImageReference, timeout_s: float) -> None:
        self.auth, self.ref, self.timeout_s = auth, ref, timeout_s
        self.session = requests.Session()
        self.session.trust_env = False  # never send credentials through an environment proxy
        self.session.headers["User-Agent"] = "evalbox-compute-worker"
        if auth.bearer:
            self.session.headers["Authorization"] = f"Bearer {auth.bearer}"

    def _token_from_challenge(self, header: str) -> None:
        """Answer a ``WWW-Authenticate`` challenge: fetch a bearer token from the realm, or use Basic."""
        scheme = header.split(" ", 1)[0].lower()
        credentials = self.auth.credentials
        basic = (credentials.username, credentials.password) if credentials else None
        if scheme == "basic" and basic:
            self.session.auth = basic
            return
        params = dict(_CHALLENGE_PARAM.findall(header))
        if scheme != "bearer" or not params.get("realm", "").startswith(("http://", "https://")):
            raise self._refused(401)
        params = {"service": params.get("service", ""), "scope": f"repository:{self.ref.repository}:pull"}
        response = self.session.get(_challenge_realm(header), params=params, auth=basic, timeout=self.timeout_s)
        if response.status_code != 200:
            raise self._refused(response.status_code)
        try:
            body = response.json()
        except ValueError:
            body = None
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise self._refused(401)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _refused(self, status: int) -> ImageProblem:
        return ImageProblem(FailureReason.IMAGE_UNAUTHORIZED,
                            f"The image {self.ref.normalized} cannot be pulled: access denied by the registry "
                            f"(HTTP {status}).")

    def manifest(self, reference: str) -> tuple[dict[str, Any], str, str]:
        """``(manifest, media type, digest)`` of ``reference`` (a tag or a digest)."""
        url = f"{self.auth.registry_url}/v2/{self.ref.repository}/manifests/{reference}"
        response = self.session.get(url, headers={"Accept": ACCEPT}, timeout=self.timeout_s, stream=True)
        if response.status_code == 401 and "Authorization" not in self.session.headers and not self.session.auth:
            self._token_from_challenge(response.headers.get("WWW-Authenticate", ""))
            response = self.session.get(url, headers={"Accept": ACCEPT}, timeout=self.timeout_s, stream=True)
        if response.status_code in (401, 403):
            raise self._refused(response.status_code)
        if response.status_code == 404:
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND,
                               f"The image {self.ref.normalized} was not found in its registry.")
        if response.status_code != 200:
            raise ImageProblem(FailureReason.IMAGE_NOT_FOUND, f"The registry of {self.ref.normalized} answered "
                                                              f"HTTP {response.status_code} to its manifest.")
        raw = response.raw.read(MAX_MANIFEST_BYTES + 1, decode_content=True)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise _unsupported(self.ref, "a manifest larger than 4 MB")
        try:
            manifest = json.loads(raw)
        except ValueError:
            raise _unsupported(self.ref, "a manifest that is not JSON") from None
        if not isinstance(manifest, dict):
            raise _unsupported(self.ref, "a manifest that is not a JSON object")
        media_type = manifest.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        return manifest, media_type, "sha256:" + hashlib.sha256(raw).hexdigest()


def _challenge_realm(header: str) -> str:
    return dict(_CHALLENGE_PARAM.findall(header))["realm"]


def _unsupported(ref: ImageReference, what: str) -> ImageProblem:
    return ImageProblem(FailureReason.IMAGE_UNSUPPORTED, f"The image {ref.normalized} cannot run here: the registry "
                                                         f"serves {what}.")


def _platform_digest(ref: ImageReference, index: dict[str, Any], architecture: str) -> str:
    """The digest of the ``linux/<architecture>`` manifest of an index."""
    entries = [e for e in index.get("manifests") or [] if isinstance(e, dict)]
    for entry in entries:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == architecture:
            return str(entry.get("digest"))
    offered = ", ".join(sorted({f"{(e.get('platform') or {}).get('os')}/{(e.get('platform') or {}).get('architecture')}"
                                for e in entries})) or "none"
    raise ImageProblem(FailureReason.IMAGE_PLATFORM_MISSING,
                       f"The image {ref.normalized} has no linux/{architecture} variant (it has: {offered}); build it "
                       f"for linux/{architecture}.")


def _compressed_bytes(ref: ImageReference, manifest: dict[str, Any]) -> int:
    """Config plus layers of an image manifest; an unknown media type is refused."""
    config = manifest.get("config") or {}
    layers = [layer for layer in manifest.get("layers") or [] if isinstance(layer, dict)]
    if config.get("mediaType") not in CONFIG_TYPES:
        raise _unsupported(ref, f"a config of type {str(config.get('mediaType'))[:100]!r}")
    for layer in layers:
        if layer.get("mediaType") not in LAYER_TYPES:
            raise _unsupported(ref, f"a layer of type {str(layer.get('mediaType'))[:100]!r}")
    return sum(int(part.get("size") or 0) for part in [config, *layers])


def inspect_manifest(auth: PullAuth, ref: ImageReference, *, architecture: str, max_bytes: int,
                     timeout_s: float) -> ManifestFacts:
    """Read and check the manifest of ``ref``; raise :class:`ImageProblem` for what must not be pulled."""
    registry = _Registry(auth, ref, timeout_s)
    try:
        manifest, media_type, digest = registry.manifest(ref.digest or ref.tag or "latest")
        image_manifest = manifest
        if media_type in INDEX_TYPES:
            image_manifest, child_type, _ = registry.manifest(_platform_digest(ref, manifest, architecture))
            if child_type not in IMAGE_TYPES:
                raise _unsupported(ref, f"a manifest of type {child_type[:100]!r}")
        elif media_type not in IMAGE_TYPES:
            raise _unsupported(ref, f"a manifest of type {media_type[:100]!r}")
    except requests.Timeout:
        raise ImageProblem(FailureReason.IMAGE_PULL_TIMEOUT, f"The registry of {ref.normalized} did not answer "
                                                             f"within {timeout_s:.0f} s.") from None
    except requests.RequestException as exc:
        logger.warning("manifest of %s: the registry could not be reached: %s", ref.normalized, exc)
        detail = f"Reading the manifest failed: {type(exc).__name__}: {exc}"
        raise registry_unreachable(ref.normalized, detail) from None
    finally:
        registry.session.close()
    size = _compressed_bytes(ref, image_manifest)
    if size > max_bytes:
        raise ImageProblem(FailureReason.IMAGE_TOO_LARGE,
                           f"The image {ref.normalized} is {size / (1 << 20):.0f} MB compressed; this worker accepts "
                           f"at most {max_bytes / (1 << 20):.0f} MB. Nothing was downloaded.")
    return ManifestFacts(digest=ref.digest or digest, compressed_bytes=size, media_type=media_type)
