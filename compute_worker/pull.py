"""Pull one image by digest with a time limit of its own and progress reports.

The engine's pull stream is read in a thread; the caller waits for it at most ``timeout_s``.
When the time is up (a stalled or slow registry) the HTTP stream is closed, which makes the
engine cancel the pull, and the job fails as ``image_pull_timeout``; the run's own time limit
is not touched. Progress (``Pulling image: 120 of 480 MB``) goes to ``progress`` every few
seconds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
import requests
from docker import auth as docker_auth

from .failure import ImageProblem, registry_unreachable
from .protocol import FailureReason

logger = logging.getLogger(__name__)

#: ``progress(message)``: the status message of the pull so far.
Progress = Callable[[str], None]


class _PullStream:
    """The engine's JSON lines of one pull, summed into bytes done per layer."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.layers: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.error = ""
        self.failure: BaseException | None = None
        self.done = threading.Event()

    @property
    def downloaded(self) -> int:
        """Bytes downloaded so far (layers that already existed count 0)."""
        return sum(self.layers.values())

    def _line(self, line: dict[str, Any]) -> None:
        if line.get("error"):
            self.error = str(line.get("error"))
            return
        layer, status = str(line.get("id", "")), str(line.get("status", ""))
        detail = line.get("progressDetail") or {}
        if status == "Downloading" and isinstance(detail.get("current"), int):
            self.layers[layer] = detail["current"]
            if isinstance(detail.get("total"), int):
                self.sizes[layer] = detail["total"]
        elif status in ("Download complete", "Verifying Checksum") and layer in self.sizes:
            self.layers[layer] = self.sizes[layer]

    def read(self) -> None:
        """Read the stream to its end (run in a thread)."""
        try:
            buffer = b""
            for chunk in self.response.iter_content(chunk_size=None):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    if raw.strip():
                        self._line(json.loads(raw))
        except (requests.RequestException, OSError, ValueError, AttributeError) as exc:
            self.failure = exc
        finally:
            self.done.set()


def _start(client: docker.DockerClient, name: str, digest: str,
           auth_config: dict[str, str] | None) -> requests.Response:
    """POST /images/create and return the open stream (the SDK's pull hides its response, which we must close)."""
    headers = {"X-Registry-Auth": docker_auth.encode_header(auth_config)} if auth_config else {}
    api = client.api
    response = api._post(api._url("/images/create"), params={"fromImage": name, "tag": digest}, headers=headers,
                         stream=True, timeout=None)
    api._raise_for_status(response)
    return response


def pull_image(client: docker.DockerClient, name: str, digest: str, *, auth_config: dict[str, str] | None,
               timeout_s: float, total_bytes: int, progress: Progress | None = None,
               progress_every_s: float = 5.0) -> int:
    """Pull ``name@digest``; return the bytes downloaded. Raise :class:`ImageProblem` on failure or timeout."""
    started = time.monotonic()
    try:
        response = _start(client, name, digest, auth_config)
    except docker.errors.APIError as exc:
        raise pull_refusal(f"{name}@{digest}", str(exc.explanation or exc), exc.status_code) from None
    except requests.RequestException as exc:
        raise ImageProblem(FailureReason.RUNTIME_ERROR, f"The Docker engine did not answer the pull: "
                                                        f"{type(exc).__name__}") from None
    stream = _PullStream(response)
    threading.Thread(target=stream.read, daemon=True, name="evalbox-pull").start()
    total_mb = max(1, round(total_bytes / 1e6))
    try:
        while not stream.done.wait(min(progress_every_s, max(0.05, timeout_s - (time.monotonic() - started)))):
            if time.monotonic() - started >= timeout_s:
                raise ImageProblem(FailureReason.IMAGE_PULL_TIMEOUT,
                                   f"Pulling {name}@{digest} took longer than {timeout_s:.0f} s "
                                   f"({stream.downloaded / 1e6:.0f} of {total_mb} MB); the pull was stopped. "
                                   "The registry is slow or stalled: resubmit later.")
            if progress is not None:
                progress(f"Pulling image: {stream.downloaded / 1e6:.0f} of {total_mb} MB")
    finally:
        _hang_up(response)
    if stream.error:
        raise pull_refusal(f"{name}@{digest}", stream.error, None)
    if stream.failure is not None:
        raise ImageProblem(FailureReason.RUNTIME_ERROR, f"The pull stream of {name}@{digest} broke: "
                                                        f"{type(stream.failure).__name__}")
    return stream.downloaded


def _hang_up(response: requests.Response) -> None:
    """Close the engine's pull stream, which makes the engine cancel the pull if it still runs.

    The socket is shut down first: closing the response alone would wait for the reading
    thread's lock, which a stalled stream holds for ever.
    """
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None) or getattr(getattr(getattr(response.raw, "_fp", None), "fp", None),
                                                        "raw", None)
    sock = getattr(sock, "_sock", sock)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


#: Words of the engine's error when it could not reach the registry at all (DNS, TCP, TLS, timeouts).
_UNREACHABLE = ("no such host", "dial tcp", "connection refused", "i/o timeout", "network is unreachable",
                "server misbehaving", "tls handshake", "context deadline exceeded", "no route to host",
                "connection reset", "timeout exceeded", "temporary failure in name resolution")


def pull_refusal(reference: str, text: str, status: int | None) -> ImageProblem:
    """The :class:`ImageProblem` of an engine's pull error, in words a participant can act on.

    The engine's own text (which names the worker's DNS server, addresses, ports) goes to the
    worker log and the problem's ``detail`` (organizers only), never into its message.
    """
    logger.warning("pull of %s refused by the engine (HTTP %s): %s", reference, status, text[:2000])
    detail = f"The Docker engine refused the pull (HTTP {status}): {text}"  # the job cuts it to the contract's cap
    lowered = text.lower()
    if any(word in lowered for word in _UNREACHABLE):
        return registry_unreachable(reference, detail)
    if status in (401, 403) or any(word in lowered for word in ("unauthorized", "denied", "authentication")):
        return ImageProblem(FailureReason.IMAGE_UNAUTHORIZED,
                            f"The image {reference} cannot be pulled: access denied by the registry. Push it to "
                            "the platform registry or make it public.", detail)
    if status == 404 or "not found" in lowered or "manifest unknown" in lowered:
        return ImageProblem(FailureReason.IMAGE_NOT_FOUND, f"The image {reference} was not found in its registry: "
                                                           "check the name and push the tag.", detail)
    return ImageProblem(FailureReason.RUNTIME_ERROR,
                        f"The Docker engine could not pull {reference} (the engine's error is in the worker "
                        "log). Resubmit; if it repeats, tell the organizers.", detail)
