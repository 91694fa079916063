"""The registry address guard as a pure function: a table of addresses and names, no packet sent.

Every range but loopback is tested here only, with a resolver that is a table: no test may make
anything send a packet to an address outside this machine, even when the guard is broken.
"""

from __future__ import annotations

import pytest

from compute_worker import registry_guard
from compute_worker.failure import ImageProblem
from compute_worker.protocol import FailureReason
from compute_worker.registry_guard import address_problem, check_registry, registry_host, resolve_host

ADDRESSES = [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("10.0.0.1", "private"),
    ("172.16.0.1", "private"), ("172.17.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("100.64.0.1", "not public"), ("192.0.2.1", "private"), ("198.18.0.1", "private"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "link-local"), ("::ffff:10.0.0.1", "private"),
    ("2002:7f00:1::", "loopback"), ("2002:a9fe:a9fe::1", "link-local"), ("64:ff9b::7f00:1", "reserved"),
    ("::127.0.0.1", "reserved"), ("2001:db8::1", "private"), ("100::1", "reserved"),
    ("not-an-address", "not an address"), ("(none)", "not an address"),
    ("8.8.8.8", None), ("93.184.216.34", None), ("2001:4860:4860::8888", None), ("::ffff:8.8.8.8", None),
]


@pytest.mark.parametrize(("address", "problem"), ADDRESSES)
def test_addresses_are_classified(address: str, problem: str | None) -> None:
    assert address_problem(address) == problem


@pytest.mark.parametrize(("registry", "host"), [
    ("docker.io", registry_guard.DOCKER_HUB_HOST), ("ghcr.io", "ghcr.io"), ("localhost:5000", "localhost"),
    ("127.0.0.1:8000", "127.0.0.1"), ("[::1]:5000", "::1"), ("[fe80::1]", "fe80::1"), ("registry", "registry"),
])
def test_the_host_of_a_registry(registry: str, host: str) -> None:
    assert registry_host(registry) == host


TABLE = {
    "localhost": ["127.0.0.1", "::1"], "metadata.internal": ["169.254.169.254"], "public.example": ["93.184.216.34"],
    "mixed.example": ["93.184.216.34", "10.1.2.3"], "site.example": ["198.51.100.0", "93.184.216.35"],
    "same-as-site.example": ["93.184.216.35"], "broker.example": ["93.184.216.36"],
    "rebinding-to-broker.example": ["93.184.216.36"], registry_guard.DOCKER_HUB_HOST: ["93.184.216.40"],
    "hub-at-home.example": [], "::1": ["::1"],
}


def table(host: str) -> list[str]:
    if host not in TABLE:
        raise OSError(-2, "Name or service not known")
    return TABLE[host]


@pytest.mark.parametrize(("registry", "what"), [
    ("localhost:5000", "an address that is loopback"),
    ("metadata.internal", "an address that is link-local"),
    ("mixed.example", "an address that is private"),  # any address of the name counts
    ("same-as-site.example", "an address of the platform's own site or broker"),
    ("rebinding-to-broker.example:5672", "an address of the platform's own site or broker"),
    ("[::1]:5000", "an address that is loopback"),
    ("hub-at-home.example", "an address that is not an address"),  # resolves to nothing
])
def test_internal_registries_are_refused(registry: str, what: str) -> None:
    with pytest.raises(ImageProblem) as refused:
        check_registry(registry, trusted=(), infrastructure=("site.example", "broker.example"), resolve=table)
    assert refused.value.reason == FailureReason.IMAGE_NOT_ALLOWED
    assert refused.value.message.startswith(f"The registry {registry} is refused: it resolves to {what} ")
    assert "93.184" not in refused.value.message and "169.254" not in refused.value.message  # no address shown


@pytest.mark.parametrize("registry", ["public.example", "public.example:5000", "docker.io"])
def test_public_registries_pass(registry: str) -> None:
    check_registry(registry, trusted=(), infrastructure=("site.example", "broker.example"), resolve=table)


def test_a_registry_allowed_by_name_is_not_even_resolved() -> None:
    def never(host: str) -> list[str]:
        raise AssertionError(f"resolved {host}")

    check_registry("Registry.Internal:5000", trusted=("registry.internal:5000",), infrastructure=(), resolve=never)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(ImageProblem) as refused:
        check_registry("nowhere.example", trusted=(), infrastructure=(), resolve=table)
    assert refused.value.reason == FailureReason.IMAGE_REGISTRY_UNREACHABLE
    assert "could not be reached from the worker" in refused.value.message


@pytest.mark.parametrize("name", ["localhost", "127.1", "0x7f000001", "2130706433", "017700000001", "0", "::1"])
def test_names_resolving_to_loopback_without_dns(name: str) -> None:
    # /etc/hosts and the C library's numeric forms: the real resolver, no DNS query.
    addresses = resolve_host(name)
    assert addresses and all(address_problem(a) in ("loopback", "unspecified") for a in addresses), addresses
