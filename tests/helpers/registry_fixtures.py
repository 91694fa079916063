"""Fixtures of the platform registry tests: the private registry beside the live site, and docker clients.

``registry_server`` (session) is a :class:`~tests.helpers.registry.PrivateRegistry` whose
token realm and notifications are the ``live_server``; ``platform_registry`` points the site's
settings at it for one test (it marks the test ``registry``). ``docker_cli`` is the docker
command line with a private configuration directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.registry import DockerCli, PrivateRegistry, private_registry, remove_pulled_images

NOTIFY_SECRET = "test-notify-secret"


@pytest.fixture(scope="session")
def registry_keys(tmp_path_factory) -> dict[str, Path]:
    """The site's signing key, certificate and notification secret files for the session."""
    from competition.registry.keys import create_key_pair

    directory = tmp_path_factory.mktemp("registry-keys")
    files = {"key": directory / "token.key", "cert": directory / "token.crt", "secret": directory / "notify.secret"}
    create_key_pair(files["key"], files["cert"])
    files["secret"].write_text(NOTIFY_SECRET)
    return files


@pytest.fixture(scope="session")
def registry_server(live_server, registry_keys) -> Iterator[PrivateRegistry]:
    """The private registry, trusting the session's certificate and notifying the live site."""
    with private_registry(live_server.url, NOTIFY_SECRET, registry_keys["cert"]) as registry:
        yield registry
        remove_pulled_images(registry.host)


@pytest.fixture
def platform_registry(registry_server: PrivateRegistry, registry_keys, settings, live_server,
                      transactional_db) -> PrivateRegistry:
    """The site's settings pointed at :func:`registry_server` for this test."""
    settings.EVALBOX_REGISTRY = registry_server.host
    settings.EVALBOX_REGISTRY_PUBLIC_URL = ""
    settings.EVALBOX_REGISTRY_URL = ""
    settings.EVALBOX_REGISTRY_KEY_FILE = registry_keys["key"]
    settings.EVALBOX_REGISTRY_CERT_FILE = registry_keys["cert"]
    settings.EVALBOX_REGISTRY_NOTIFY_SECRET_FILE = registry_keys["secret"]
    settings.EVALBOX_SITE_URL = live_server.url
    return registry_server


@pytest.fixture
def docker_cli(tmp_path: Path, docker_client) -> DockerCli:
    """The docker command line with a configuration directory of this test's own."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    return DockerCli(directory)
