"""A stand-in Docker engine on a unix socket that lists the runtimes a test chooses.

It answers what ``compute_worker --check`` asks the engine (``/version`` and ``/info``) and
nothing else, so a test can show the check failing on an engine that lacks a runtime without
changing the real engine's configuration.
"""

from __future__ import annotations

import json
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

VERSION = {"Version": "0.0.0-stub", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "Os": "linux"}


def _handler(info: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet, and a unix peer has no address to print
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            path = self.path.split("?")[0]
            body = VERSION if path.endswith("/version") else info if path.endswith("/info") else None
            data = json.dumps(body if body is not None else {"message": "not in the stub"}).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_HEAD = do_GET  # noqa: N815 - http.server API

    return Handler


@contextmanager
def stub_engine(runtimes: Iterable[str]) -> Iterator[str]:
    """An engine listing ``runtimes`` (default ``runc``); yields its ``DOCKER_HOST`` value."""
    runtimes = list(runtimes)
    info = {"Runtimes": {name: {"path": name} for name in runtimes}, "DefaultRuntime": "runc", "ServerVersion": "stub"}
    # A short folder: a unix socket path is limited to 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="evb-engine-", dir="/tmp"))
    server = socketserver.ThreadingUnixStreamServer(str(directory / "docker.sock"), _handler(info))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"unix://{directory / 'docker.sock'}"
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(directory, ignore_errors=True)
