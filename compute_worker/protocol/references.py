"""Docker image references: the grammar, normalization and registry allow lists.

Both the site (checking what a participant typed) and the worker (before it pulls) parse a
reference with :func:`parse_reference`, so the two sides can never disagree on what a
reference means. The verdict is Docker's own (``ParseNormalizedNamed`` of
github.com/distribution/reference v0.6, plus the default tag ``latest``) except for the
deliberate deviations listed in ``docs/participants.md`` ("Image references"), each refused
with its reason; ``tests/helpers/docker_references.py`` is the table of Docker's verdicts.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from .errors import ProtocolError

# The Docker distribution reference grammar (github.com/distribution/reference, regexp.go).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|[-]+)"
_PATH_COMPONENT = re.compile(rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*\Z")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6_HOST = r"\[[a-fA-F0-9:]+\]"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6_HOST})(?::[0-9]+)?\Z")
_IMAGE_ID = re.compile(r"[a-f0-9]{64}\Z")
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z", re.ASCII)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}\Z")
_SHELL_METACHARACTERS = set(";&|`$()<>{}\\\"'*?!~#%=,^")

#: The longest reference accepted as typed (Docker limits only the repository path, to the same 255).
MAX_REFERENCE_LENGTH = 255
#: The longest repository path, ``library/`` included (Docker's ``RepositoryNameTotalLengthMax``).
MAX_REPOSITORY_LENGTH = 255
DEFAULT_REGISTRY = "docker.io"
#: What Docker rewrites to ``docker.io`` (``legacyDefaultDomain``).
_CANONICAL_HUB = {"docker.io", "index.docker.io"}
#: The names of Docker Hub an allow list accepts for ``docker.io``.
_DOCKER_HUB_ALIASES = _CANONICAL_HUB | {"registry-1.docker.io"}


@dataclass(frozen=True)
class ImageReference:
    """A parsed, normalized image reference."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def normalized(self) -> str:
        """``registry/repository[:tag][@digest]``; the tag is ``latest`` when neither is given."""
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def name(self) -> str:
        """``registry/repository`` without tag or digest."""
        return f"{self.registry}/{self.repository}"


#: Words that start a command line, not an image reference.
_COMMANDS = ("docker ", "podman ", "sudo ", "nerdctl ")


def _looks_like_domain(component: str) -> bool:
    # Docker's rule (splitDockerDomain) also takes a component with uppercase letters for a
    # host; "MyTeam/model" is far more often a mistyped repository, so we report it as one.
    return any(c in component for c in ".:") or component == "localhost"


def _check_characters(text: Any) -> str:
    """The reference text when its characters can form a reference at all; else the reason."""
    if not isinstance(text, str):
        raise ProtocolError("The image reference must be a string.")
    if text == "":
        raise ProtocolError("The image reference is empty.")
    try:
        return _check_text(text)
    except ProtocolError as exc:
        if text.strip().lower().startswith(_COMMANDS) or " -" in text:
            raise ProtocolError(f"Enter only the image reference, not a command (e.g. ghcr.io/team/model:v1). "
                                f"{exc}") from None
        raise


def _check_text(text: str) -> str:
    if len(text) > MAX_REFERENCE_LENGTH:
        raise ProtocolError(f"The image reference is longer than {MAX_REFERENCE_LENGTH} characters.")
    if any(c.isspace() for c in text):
        raise ProtocolError("The image reference must not contain spaces or other whitespace.")
    if text.startswith("-"):
        raise ProtocolError("The image reference must not start with '-': options are not accepted.")
    bad = sorted({c for c in text if c in _SHELL_METACHARACTERS})
    if bad:
        raise ProtocolError(f"The image reference contains characters that are not allowed: {' '.join(bad)}")
    if any(ord(c) < 32 or ord(c) > 126 for c in text):
        raise ProtocolError("The image reference may contain only printable ASCII characters.")
    return text


def _split_digest(text: str) -> tuple[str, str | None]:
    """``(name[:tag], digest or None)``."""
    if "@" not in text:
        return text, None
    remainder, digest = text.split("@", 1)
    if not _DIGEST.match(digest):
        raise ProtocolError("The digest must be 'sha256:' followed by 64 lowercase hexadecimal characters.")
    if not remainder:
        raise ProtocolError("The image reference has a digest but no repository name.")
    return remainder, digest


def _split_registry(parts: list[str]) -> str:
    """Pop the registry host off the path components (Docker Hub when there is none)."""
    if not (len(parts) > 1 and _looks_like_domain(parts[0])):
        return DEFAULT_REGISTRY
    registry = parts.pop(0)
    if not _DOMAIN.match(registry):
        raise ProtocolError(f"'{registry}' is not a valid registry host (host, host:port or [IPv6]:port).")
    return DEFAULT_REGISTRY if registry in _CANONICAL_HUB else registry


def _split_tag(parts: list[str]) -> str | None:
    """Take the tag off the last path component."""
    if ":" not in parts[-1]:
        return None
    parts[-1], tag = parts[-1].split(":", 1)
    if not _TAG.match(tag):
        raise ProtocolError(f"The tag '{tag}' is invalid: use letters, digits, '_', '.' and '-' "
                            "(not first), at most 128 characters.")
    return tag


def _check_path(parts: list[str]) -> None:
    for component in parts:
        if component == "":
            raise ProtocolError("The repository name has an empty path component ('//' or a trailing '/').")
        if component != component.lower():
            raise ProtocolError(f"The repository name must be lowercase: '{component}'.")
        if not _PATH_COMPONENT.match(component):
            raise ProtocolError(f"'{component}' is not a valid repository name component: use lowercase letters "
                                "and digits, separated by '.', '_', '__' or '-'.")


def parse_reference(text: Any) -> ImageReference:
    """Parse and normalize a Docker image reference, or raise :class:`ProtocolError`.

    The message of the error names the problem, in words meant for the person who typed it.
    ``alpine`` becomes ``docker.io/library/alpine:latest``.
    """
    if isinstance(text, str) and _IMAGE_ID.match(text):
        raise ProtocolError("A 64-character hexadecimal string is an image ID, not an image name: give the "
                            "repository name (with a tag or a digest).")
    remainder, digest = _split_digest(_check_characters(text))
    parts = remainder.split("/")
    registry = _split_registry(parts)
    tag = _split_tag(parts)
    _check_path(parts)
    if registry == DEFAULT_REGISTRY and len(parts) == 1:
        parts.insert(0, "library")
    if tag is None and digest is None:
        tag = "latest"
    reference = ImageReference(registry=registry, repository="/".join(parts), tag=tag, digest=digest)
    if len(reference.repository) > MAX_REPOSITORY_LENGTH:
        raise ProtocolError(f"The repository path ({reference.repository[:20]}...) is longer than "
                            f"{MAX_REPOSITORY_LENGTH} characters.")
    return reference


def registry_allowed(reference: ImageReference, allowed_registries: list[str] | tuple[str, ...]) -> bool:
    """Whether the reference's registry is in ``allowed_registries`` (an empty list allows all)."""
    if not allowed_registries:
        return True
    allowed = {DEFAULT_REGISTRY if r.lower() in _DOCKER_HUB_ALIASES else r.lower() for r in allowed_registries}
    return reference.registry.lower() in allowed


def registry_host(registry: str) -> str:
    """The host of a registry ``host``, ``host:port``, ``[IPv6]`` or ``[IPv6]:port`` (brackets removed)."""
    if registry.startswith("[") and "]" in registry:
        return registry[1:registry.index("]")]
    return registry.rsplit(":", 1)[0] if ":" in registry else registry


def is_loopback_registry(registry: str) -> bool:
    """Whether a registry ``host[:port]`` names this machine (``localhost``, a loopback address).

    Docker talks plain HTTP to those without any configuration, and so do the site and the worker.
    """
    host = registry_host(registry)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
