"""A private platform registry for the tests, and the docker CLI as a participant uses it.

- :class:`PrivateRegistry`: ``docker-registry serve`` (CNCF distribution) on a free loopback
  port with its own storage directory, its own config (rendered by the site's
  :func:`competition.registry.config.write_config`, so tests and the demo run the same
  configuration) and its log in a file, which tests read to see which requests it served.
- :class:`DockerCli`: ``docker login``/``tag``/``push`` with a private ``DOCKER_CONFIG``, so a
  test's credentials never touch the machine's own.

The processes are stopped by their own id.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.helpers.private_services import _stop_process, free_port
from tests.helpers.timing import wait_for

REGISTRY_BIN = os.environ.get("EVALBOX_TEST_REGISTRY_BIN", "docker-registry")
_BLOB_GET = re.compile(r'"GET /v2/(?P<repository>[^ ]+)/blobs/(?P<digest>sha256:[a-f0-9]+) HTTP/1\.1" (?P<status>\d+)')


@dataclass
class PrivateRegistry:
    """A registry process; :attr:`host` is ``127.0.0.1:<port>``."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """``host:port`` as references name it."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The registry's base URL."""
        return f"http://{self.host}"

    @property
    def config_path(self) -> Path:
        """Its configuration file."""
        return self.directory / "config.yml"

    def start(self, site_url: str, notify_secret: str, cert_file: Path) -> None:
        """Write the config (token realm and notifications at ``site_url``, ``cert_file`` trusted) and serve."""
        from competition.registry.config import write_config

        write_config(self.config_path, storage_dir=self.directory / "storage", listen=self.host, site_url=site_url,
                     notify_secret=notify_secret, cert_file=cert_file)
        with open(self.directory / "registry.log", "ab") as log:
            self.process = subprocess.Popen([REGISTRY_BIN, "serve", str(self.config_path)], stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self._answers() or self.process.poll() is not None, 30, "the private registry", 0.2)
        if self.process.poll() is not None:
            raise AssertionError(f"the private registry exited:\n{self.log()[-3000:]}")

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/v2/", timeout=1).status_code == 401
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """Stop the process."""
        if self.process is not None:
            _stop_process(self.process, timeout=20)

    def log(self) -> str:
        """What the registry printed (its access log included)."""
        return (self.directory / "registry.log").read_text(errors="replace")

    def blob_gets(self, repository: str) -> list[str]:
        """The digests of the blob GETs of ``repository`` answered so far."""
        return [m["digest"] for m in _BLOB_GET.finditer(self.log()) if m["repository"] == repository]

    def garbage_collect(self) -> str:
        """``docker-registry garbage-collect`` on its storage; its output."""
        result = subprocess.run([REGISTRY_BIN, "garbage-collect", str(self.config_path)], capture_output=True,
                                text=True, timeout=120)
        return result.stdout + result.stderr


@contextlib.contextmanager
def private_registry(site_url: str, notify_secret: str, cert_file: Path) -> Iterator[PrivateRegistry]:
    """A started :class:`PrivateRegistry`, stopped and deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="evb-registry-", dir="/tmp", ignore_cleanup_errors=True) as directory:
        registry = PrivateRegistry(Path(directory))
        registry.start(site_url, notify_secret, cert_file)
        try:
            yield registry
        finally:
            registry.stop()


@dataclass
class DockerCli:
    """The docker command line with its own client configuration directory."""

    config_dir: Path

    def run(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``docker ARGS``; with ``check``, fail the test with the output when it fails."""
        result = subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "DOCKER_CONFIG": str(self.config_dir)})
        if check and result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                                 f"{result.stderr}")
        return result

    def login(self, registry: str, username: str, token: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``docker login`` with the token on standard input."""
        return self.run("login", registry, "-u", username, "--password-stdin", stdin=token, check=check)

    def push(self, local_tag: str, reference: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Tag ``local_tag`` as ``reference`` and push it."""
        self.run("tag", local_tag, reference)
        try:
            return self.run("push", reference, check=check)
        finally:
            self.run("rmi", reference, check=False)  # the worker must pull it, not find it


def remove_pulled_images(registry_host: str) -> None:
    """Remove from the engine every image pulled from ``registry_host`` (and ``localhost`` of its port)."""
    import docker

    port = registry_host.rsplit(":", 1)[1]
    prefixes = (f"{registry_host}/", f"localhost:{port}/")
    client = docker.from_env()
    try:
        for image in client.api.images():  # summaries: no inspect of images others may be removing
            names = (image.get("RepoTags") or []) + (image.get("RepoDigests") or [])
            if names and all(name.startswith(prefixes) for name in names):
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(image["Id"], force=True)
    finally:
        client.close()
