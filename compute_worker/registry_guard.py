"""No pull aimed at an internal address: the registry of a reference is resolved once and checked.

Before the worker reads a manifest or asks the Docker daemon to pull, :func:`check_registry`
resolves the registry's host and refuses it when any of its addresses is loopback, link-local
(cloud metadata services), private, unspecified, multicast, reserved or otherwise not public,
or is an address of the platform's own site or broker, unless the operator allowed that
registry by name (``EVALBOX_TRUSTED_REGISTRIES``) or the site issued the pull token for it (the
platform registry). The participant is told why, never the address (that goes to the worker's
log). :func:`address_problem` is the classification, a pure function.

The daemon resolves the name again when it pulls: a registry whose DNS answer changes between
the two lookups is not caught here (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Sequence

from . import protocol
from .failure import ImageProblem, registry_unreachable
from .protocol import DEFAULT_REGISTRY, FailureReason

logger = logging.getLogger(__name__)

#: ``resolve(host)``: the addresses of ``host`` (:func:`resolve_host`; a table in tests).
Resolver = Callable[[str], list[str]]
#: The host the daemon and the worker contact for Docker Hub references.
DOCKER_HUB_HOST = "registry-1.docker.io"

_KINDS = (  # (ipaddress property, what it is called in the message), in order
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_unspecified", "unspecified"),
    ("is_multicast", "multicast"),
    ("is_reserved", "reserved"),
    ("is_private", "private"),
    ("is_site_local", "site-local"),  # IPv6 fec0::/10, deprecated but still routed inside sites
)


def address_problem(address: str) -> str | None:
    """Why the worker must not pull from ``address`` (``"loopback"``, ``"private"``...), or ``None``.

    An IPv4-mapped IPv6 address is judged by its IPv4 address, a 6to4 or Teredo one by both; a
    scope (``fe80::1%eth0``) is ignored; anything not public (shared address space, ...) is
    refused as ``"not public"``; text that is no address is refused as ``"not an address"``.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an address"
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates = [ip.ipv4_mapped]
    elif isinstance(ip, ipaddress.IPv6Address):
        candidates += [v4 for v4 in (ip.sixtofour, ip.teredo[1] if ip.teredo else None) if v4 is not None]
    for candidate in candidates:
        for attribute, kind in _KINDS:
            if getattr(candidate, attribute, False):
                return kind
    if not all(candidate.is_global for candidate in candidates):
        return "not public"
    return None


def registry_host(registry: str) -> str:
    """The host of ``registry`` (``host``, ``host:port``, ``[v6]:port``) as the daemon contacts it."""
    return DOCKER_HUB_HOST if registry == DEFAULT_REGISTRY else protocol.registry_host(registry)


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (a literal address resolves to itself)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


def _infrastructure_addresses(hosts: Iterable[str], resolve: Resolver) -> set[str]:
    found: set[str] = set()
    for host in hosts:
        if host:
            try:
                found.update(resolve(host))
            except OSError as exc:
                logger.warning("cannot resolve the platform host %s: %s", host, exc)
    return found


def check_registry(registry: str, *, trusted: Sequence[str], infrastructure: Iterable[str],
                   resolve: Resolver = resolve_host) -> None:
    """Refuse to contact ``registry`` (raise :class:`ImageProblem`) when it is internal, unless ``trusted``.

    ``infrastructure`` are the hosts of the site and the broker: a registry at one of their
    addresses is refused whatever the address.
    """
    if registry.lower() in {name.lower() for name in trusted}:
        return
    host = registry_host(registry)
    try:
        addresses = resolve(host)
    except OSError as exc:
        logger.warning("registry %s: %s does not resolve: %s", registry, host, exc)
        raise registry_unreachable(registry, f"{host} does not resolve from the worker: {exc}") from None
    platform = _infrastructure_addresses(infrastructure, resolve)
    for address in addresses or ["(none)"]:
        problem = address_problem(address)
        what = (f"an address that is {problem}" if problem
                else "an address of the platform's own site or broker" if address in platform else "")
        if what:
            logger.warning("refused registry %s: %s resolves to %s (%s)", registry, host, address, what)
            raise ImageProblem(FailureReason.IMAGE_NOT_ALLOWED,
                               f"The registry {registry} is refused: it resolves to {what} "
                               "and this worker pulls only from public registries or those its operator allows "
                               "by name. Push the image to the platform's registry or a public one.",
                               f"{host} resolves to {address} on the worker; EVALBOX_TRUSTED_REGISTRIES allows a "
                               "registry by name.")
