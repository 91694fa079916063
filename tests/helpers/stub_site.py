"""A stub of the site's worker API on loopback: a real HTTP server in a thread.

It records every request (method, path, headers, JSON body) and answers like the site:
``POST <prefix>status|logs|result`` -> 200 (or scripted answers such as 500 then 200, or 409),
``GET <prefix><name>`` -> the bytes registered with :meth:`StubSite.add_file`. A request without
the expected ``Authorization: Bearer <token>`` gets 401. :meth:`StubSite.delay` makes the next
answers to a path slow.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    status: int = 200
    at: float = field(default_factory=time.monotonic)  #: when it arrived (``time.monotonic``)
    answered: float | None = None  #: when the stub began to answer it (``time.monotonic``)


@dataclass
class StubSite:
    """The server; use :func:`start_stub_site` (or the ``stub_site`` fixture)."""

    token: str = "test-token"
    submission_id: int = 1
    requests: list[Recorded] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    scripted: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    delays: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """The submission's worker API URL (ends with ``/``)."""
        return f"{self.base_url}/api/worker/submissions/{self.submission_id}/"

    def url(self, name: str) -> str:
        """The URL of a registered file."""
        return self.api_url + name

    def add_file(self, name: str, data: bytes) -> str:
        """Serve ``data`` at ``api_url + name``; return that URL."""
        self.files[name] = data
        return self.url(name)

    def script(self, path: str, *statuses: int) -> None:
        """Answer the next requests to ``path`` (e.g. ``"result"``) with these status codes."""
        self.scripted[path].extend(statuses)

    def delay(self, path: str, *seconds: float) -> None:
        """Wait this long before answering each of the next requests to ``path``."""
        self.delays[path].extend(seconds)

    def posts(self, path: str) -> list[Any]:
        """JSON bodies of the successful (200) POSTs to ``path``."""
        with self.lock:
            return [r.body for r in self.requests
                    if r.method == "POST" and r.path.endswith("/" + path) and r.status == 200]

    def all(self, path: str) -> list[Recorded]:
        """Every request to ``path``, whatever the answer."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/" + path)]

    def result(self) -> dict[str, Any]:
        """The one accepted result."""
        results = self.posts("result")
        assert len(results) == 1, f"expected one result, got {results}"
        return results[0]

    def stop(self) -> None:
        """Stop the server."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def _handler(site: StubSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self, status: int, body: bytes = b"{}", content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self, body: Any) -> tuple[Recorded, str]:
            name = self.path.rsplit("/", 1)[-1]
            record = Recorded(self.command, self.path, dict(self.headers), body)
            if self.headers.get("Authorization") != f"Bearer {site.token}":
                record.status = 401
            else:
                with site.lock:
                    queue = site.scripted.get(name)
                    if queue:
                        record.status = queue.popleft()
            with site.lock:
                site.requests.append(record)
                delays = site.delays.get(name)
                delay = delays.popleft() if delays else 0.0
            time.sleep(delay)
            record.answered = time.monotonic()
            return record, name

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            record, _ = self._record(body)
            self._answer(record.status, json.dumps({"ok": record.status == 200}).encode())

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            record, name = self._record(None)
            if record.status != 200:
                self._answer(record.status)
            elif name in site.files:
                self._answer(200, site.files[name], "application/octet-stream")
            else:
                record.status = 404
                self._answer(404)

    return Handler


def start_stub_site(token: str = "test-token", submission_id: int = 1) -> StubSite:
    """Start a stub on a free loopback port."""
    site = StubSite(token=token, submission_id=submission_id)
    site.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.server.daemon_threads = True
    threading.Thread(target=site.server.serve_forever, daemon=True).start()
    return site
