"""Private services the fault tests break on purpose, so the shared ones stay untouched.

- :class:`PrivateRabbitMQ`: a RabbitMQ node of its own (own node name, ports, mnesia and log
  directories, no plugins) that a test can stop and start again; its data survives restarts.
- :class:`PrivateDockerd`: a Docker daemon of its own (own socket, data root, exec root and
  managed containerd, no bridge, no iptables) that a test can restart in the middle of a run.
- :class:`SiteProxy`: an HTTP proxy in front of the site that the workers report through; it
  can answer 500, drop connections (the site is down), corrupt a download and records the
  latency of every forwarded request.
- :func:`tmpfs` mounts a tiny tmpfs (a data-cache disk that fills up).

Every process started here is stopped by its own id; nothing here touches the shared
RabbitMQ or dockerd.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import docker
from kombu import Connection

from tests.helpers.timing import wait_for

RABBITMQ_BIN = Path(os.environ.get("EVALBOX_TEST_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Signal a process this module started (its own session), killing it if it does not exit in time."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


# ---------------------------------------------------------------------------------------- RabbitMQ
@dataclass
class PrivateRabbitMQ:
    """A private RabbitMQ node on loopback; :meth:`start` / :meth:`stop` may be called repeatedly."""

    directory: Path
    name: str = field(default_factory=lambda: f"evalbox-test-{os.getpid()}-{free_port()}@localhost")
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The AMQP URL of the node."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _env(self) -> dict[str, str]:
        base = self.directory
        return {
            **os.environ, "HOME": str(base), "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"), "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"), "RABBITMQ_PID_FILE": str(base / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, timeout: float = 90) -> None:
        """Start the node (no management or prometheus listener) and wait until it accepts connections."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n")
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq-env.conf").write_text("")
        with open(self.directory / "server.log", "ab") as log:
            self.process = subprocess.Popen([str(RABBITMQ_BIN / "rabbitmq-server")], env=self._env(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.reachable() or self.process.poll() is not None, timeout, "the private RabbitMQ",
                 interval=0.5)
        if self.process.poll() is not None:
            raise AssertionError(f"the private RabbitMQ exited:\n{self.log()[-3000:]}")

    def reachable(self) -> bool:
        """Whether an AMQP connection succeeds now."""
        try:
            with Connection(self.url, connect_timeout=1) as connection:
                connection.connect()
            return True
        except Exception:  # noqa: BLE001 - any failure means not reachable
            return False

    def stop(self, timeout: float = 60) -> None:
        """Stop the node cleanly (``rabbitmqctl stop``), killing it if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        subprocess.run([str(RABBITMQ_BIN / "rabbitmqctl"), "-n", self.name, "stop"], env=self._env(),
                       capture_output=True, timeout=timeout)
        _stop_process(self.process, timeout=timeout)

    def restart(self) -> None:
        """Stop then start the node; durable queues and persistent messages survive."""
        self.stop()
        self.start()

    def queue_depth(self, queue: str) -> int:
        """Messages ready in ``queue``."""
        with Connection(self.url, connect_timeout=3) as connection:
            _, messages, _ = connection.channel().queue_declare(queue, passive=True)
        return int(messages)

    def log(self) -> str:
        """What the node printed."""
        return (self.directory / "server.log").read_text(errors="replace")


@contextlib.contextmanager
def private_rabbitmq() -> Iterator[PrivateRabbitMQ]:
    """A started :class:`PrivateRabbitMQ`, stopped and deleted afterwards."""
    node = PrivateRabbitMQ(Path(tempfile.mkdtemp(prefix="evb-rmq-", dir="/tmp")))
    try:
        node.start()
        yield node
    finally:
        node.stop()
        shutil.rmtree(node.directory, ignore_errors=True)


# ---------------------------------------------------------------------------------------- dockerd
@dataclass
class PrivateDockerd:
    """A private Docker daemon; the worker uses it through ``DOCKER_HOST=`` :attr:`host`."""

    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        """The ``DOCKER_HOST`` value of the daemon."""
        return f"unix://{self.directory / 'docker.sock'}"

    def client(self) -> docker.DockerClient:
        """A Docker SDK client of the daemon."""
        return docker.DockerClient(base_url=self.host, timeout=60)

    def start(self, timeout: float = 60) -> None:
        """Start the daemon and wait until it answers."""
        d = self.directory
        # containerd takes [A-Za-z0-9]+ joined by single . _ -: mkdtemp's suffix may end in "_".
        namespace = "evalbox-test-" + re.sub(r"[^A-Za-z0-9]", "", d.name)
        # In a network namespace of its own: a dockerd without a bridge deletes the host's docker0 at
        # start (moby's removeDefaultBridgeInterface), which broke the shared engine's bridge network
        # for every later test and program on the machine (seen here, `ip monitor link`).
        command = ["unshare", "--net", "--", "dockerd", "-H", self.host, "--data-root", str(d / "data"),
                   "--exec-root", str(d / "exec"), "--pidfile", str(d / "docker.pid"), "--bridge", "none",
                   "--iptables=false", "--ip6tables=false", "--containerd-namespace", namespace,
                   "--containerd-plugins-namespace", f"{namespace}-plugins", "--shutdown-timeout", "2"]
        with open(d / "dockerd.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.answers() or self.process.poll() is not None, timeout, "the private dockerd",
                 interval=0.3)
        if self.process.poll() is not None:
            raise AssertionError(f"the private dockerd exited:\n{(d / 'dockerd.log').read_text()[-3000:]}")

    def answers(self) -> bool:
        """Whether the daemon answers a ping now."""
        try:
            client = docker.DockerClient(base_url=self.host, timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:  # noqa: BLE001 - any failure means not answering
            return False

    def stop(self) -> None:
        """Stop the daemon (SIGTERM: it stops its containers, then exits)."""
        if self.process is not None:
            _stop_process(self.process, timeout=60)

    def restart(self) -> None:
        """Stop then start the daemon on the same data root (containers survive, stopped)."""
        self.stop()
        self.start()

    def load_images(self, tags: list[str]) -> None:
        """Copy images from the shared engine (``docker save | docker load``); fail if one is missing after."""
        shared, private = docker.from_env(), self.client()
        try:
            for tag in tags:  # saved by reference, so the archive carries this very tag
                private.images.load(b"".join(shared.api.get_image(tag)))
            missing = [tag for tag in tags if not private.images.list(name=tag)]
            if missing:
                raise AssertionError(f"images not loaded into the private dockerd: {missing}")
        finally:
            shared.close()
            private.close()

    def warm_up(self, image: str) -> None:
        """Run one container of ``image`` to its end: a fresh daemon's first start (its runtime shim, the
        mounts, the first cgroup) is paid before a test's clock starts, and the daemon is proven able to run."""
        client = self.client()
        try:
            client.containers.run(image, ["true"], remove=True, network_mode="none")
        finally:
            client.close()

    def cleanup(self) -> None:
        """Unmount what the daemon left mounted under its directory and delete it."""
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1].startswith(str(self.directory))]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def private_dockerd(images: list[str]) -> Iterator[PrivateDockerd]:
    """A started :class:`PrivateDockerd` holding ``images``, stopped and deleted afterwards."""
    # A short path: the socket path must fit in 108 bytes.
    daemon = PrivateDockerd(Path(tempfile.mkdtemp(prefix="evb-dockerd-", dir="/tmp")))
    try:
        daemon.start()
        daemon.load_images(images)
        if images:
            daemon.warm_up(images[0])
        yield daemon
    finally:
        daemon.stop()
        daemon.cleanup()


# ---------------------------------------------------------------------------------------- tmpfs
@contextlib.contextmanager
def tmpfs(path: Path, size_kb: int) -> Iterator[Path]:
    """Mount a tmpfs of ``size_kb`` KiB at ``path`` (needs root), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)], check=True,
                   timeout=30)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True, timeout=30)


# ---------------------------------------------------------------------------------------- proxy
@dataclass
class Forwarded:
    """One request the proxy handled."""

    method: str
    path: str
    status: int  # 0: the connection was dropped without an answer
    latency_s: float


@dataclass
class SiteProxy:
    """A forwarding HTTP proxy in front of the site, with scripted faults (see :func:`site_proxy`)."""

    upstream: str
    server: ThreadingHTTPServer | None = None
    records: list[Forwarded] = field(default_factory=list)
    failures: dict[str, list[int]] = field(default_factory=dict)
    corruptions: dict[str, int] = field(default_factory=dict)
    down_paths: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The proxy's base URL (give it to the workers as the site's URL)."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail(self, suffix: str, status: int, count: int) -> None:
        """Answer ``status`` to the next ``count`` requests whose path ends with ``/suffix``."""
        with self.lock:
            self.failures.setdefault(suffix, []).extend([status] * count)

    def down(self, *suffixes: str) -> None:
        """Drop every connection (no answer at all) for paths ending with these suffixes; ``""`` is all."""
        with self.lock:
            self.down_paths.update(suffixes or ("",))

    def up(self) -> None:
        """Forward everything again."""
        with self.lock:
            self.down_paths.clear()

    def corrupt(self, suffix: str, count: int = 1) -> None:
        """Flip bytes in the body of the next ``count`` successful GETs ending with ``/suffix``."""
        with self.lock:
            self.corruptions[suffix] = self.corruptions.get(suffix, 0) + count

    def seen(self, suffix: str, status: int | None = None, method: str | None = None) -> list[Forwarded]:
        """Requests handled whose path ends with ``/suffix`` (optionally with this answer and method)."""
        with self.lock:
            return [r for r in self.records if r.path.endswith("/" + suffix)
                    and (status is None or r.status == status) and (method is None or r.method == method)]

    def _plan(self, path: str) -> tuple[str, int]:
        """What to do with a request: ("drop"|"fail"|"forward", status)."""
        name = path.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            if any(path.endswith(suffix) for suffix in self.down_paths):
                return "drop", 0
            pending = self.failures.get(name)
            if pending:
                return "fail", pending.pop(0)
        return "forward", 0

    def _take_corruption(self, path: str) -> bool:
        name = path.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            if self.corruptions.get(name):
                self.corruptions[name] -= 1
                return True
        return False

    def _record(self, method: str, path: str, status: int, started: float) -> None:
        with self.lock:
            self.records.append(Forwarded(method, path, status, time.monotonic() - started))


def _proxy_handler(proxy: SiteProxy) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _handle(self) -> None:
            started = time.monotonic()
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            action, status = proxy._plan(self.path)
            if action == "drop":
                proxy._record(self.command, self.path, 0, started)
                self.close_connection = True
                return
            if action == "fail":
                self._answer(status, b'{"error": "injected by the test proxy"}', {"Content-Type": "application/json"})
                proxy._record(self.command, self.path, status, started)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                status = response.status
                keep = {k: v for k, v in response.getheaders()
                        if k.lower() in ("content-type", "content-disposition")}
            finally:
                upstream.close()
            if self.command == "GET" and status == 200 and data and proxy._take_corruption(self.path):
                data = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
            proxy._record(self.command, self.path, status, started)
            self._answer(status, data, keep)

        def _answer(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle  # noqa: N815 - http.server API

    return Handler


@contextlib.contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """A threaded HTTP server of ``handler`` on a free loopback port, serving until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def site_proxy(upstream: str) -> Iterator[SiteProxy]:
    """A :class:`SiteProxy` forwarding to ``upstream`` on a free loopback port, stopped afterwards."""
    proxy = SiteProxy(upstream=upstream.rstrip("/"))
    with http_server(_proxy_handler(proxy)) as proxy.server:
        yield proxy


# ---------------------------------------------------------------------------------------- gunicorn
@contextlib.contextmanager
def gunicorn_site(database_url: str, directory: Path, *, workers: int = 2, threads: int = 16,
                  env: dict[str, str] | None = None) -> Iterator[str]:
    """The site under gunicorn (``workers`` x ``threads``, so at most that many DB connections); yields its URL.

    It shares the test database through ``database_url``; stopped by its own process id afterwards.
    """
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "competition.project.settings",
                   "EVALBOX_VAR_DIR": str(directory), **(env or {})}
    log_path = directory / "gunicorn.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "competition.project.wsgi:application", "-b", f"127.0.0.1:{port}",
             "-w", str(workers), "--threads", str(threads), "--keep-alive", "30", "--log-level", "warning"],
            cwd=Path(__file__).resolve().parents[2], env=environment, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return process.poll() is not None

    try:
        wait_for(answers, 60, "gunicorn to listen", interval=0.2)
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        yield url
    finally:
        _stop_process(process, timeout=30)
