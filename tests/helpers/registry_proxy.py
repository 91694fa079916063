"""A loopback HTTP proxy in front of the real registry that can stall blob downloads.

Pulls go through it (give it as the registry's host); it forwards every request as it is, but
once :meth:`RegistryProxy.stall` is on it answers a blob GET with its headers and the first
bytes of the body, then sends nothing more until the client gives up or the proxy stops (then it
drops the connection, so the engine's download fails instead of waiting for ever). It records
when each stalled client closed its connection.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers.private_services import http_server

#: Bytes of a stalled blob sent before the proxy goes silent.
STALL_AFTER_BYTES = 64 * 1024
#: A stalled connection is given up by the proxy after this long even if the client stays.
STALL_LIMIT_S = 120


@dataclass
class RegistryProxy:
    """The proxy's state: where it forwards, whether blobs stall, what it saw."""

    upstream_port: int
    server: ThreadingHTTPServer | None = None
    stalling: bool = False
    stalled: list[float] = field(default_factory=list)  #: when each stalled blob GET began
    closed: list[float] = field(default_factory=list)  #: when each stalled client closed its connection
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>`` of the proxy."""
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stall(self, on: bool = True) -> None:
        """Stall (or stop stalling) blob downloads."""
        self.stalling = on


def _handler(proxy: RegistryProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            stall = proxy.stalling and self.command == "GET" and "/blobs/" in self.path and response.status == 200
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.end_headers()
            if stall:
                self.wfile.write(response.read(STALL_AFTER_BYTES))
                self.wfile.flush()
                self._hold()
            elif self.command != "HEAD":
                self.wfile.write(response.read())
            upstream.close()

        def _hold(self) -> None:
            """Send nothing more; note when the client closes its side."""
            started = time.monotonic()
            with proxy.lock:
                proxy.stalled.append(started)
            self.close_connection = True
            while time.monotonic() - started < STALL_LIMIT_S and not proxy.stopping.is_set():
                readable, _, _ = select.select([self.connection], [], [], 0.2)
                try:
                    gone = bool(readable) and not self.connection.recv(1)
                except OSError:  # reset by the peer
                    gone = True
                if gone:
                    with proxy.lock:
                        proxy.closed.append(time.monotonic())
                    return

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815 - http.server API

    return Handler


@contextlib.contextmanager
def registry_proxy(upstream_port: int) -> Iterator[RegistryProxy]:
    """A :class:`RegistryProxy` in front of the registry on ``upstream_port``, stopped afterwards."""
    proxy = RegistryProxy(upstream_port)
    with http_server(_handler(proxy)) as proxy.server:
        try:
            yield proxy
        finally:
            proxy.stopping.set()
