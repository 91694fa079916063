"""HTTP client of the site's worker API (Bearer token, retries with backoff)."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from . import protocol
from .config import WorkerConfig

logger = logging.getLogger(__name__)


class SiteError(RuntimeError):
    """The site could not be reached or refused a request (after retries)."""


class SubmissionGone(SiteError):
    """The site answered 409: the submission is finished or cancelled; stop working on it."""


class SiteClient:
    """Talks to ``{api_url}`` of one submission.

    Connection errors, timeouts and 5xx answers are retried with exponential backoff and
    jitter until ``retries`` attempts or ``budget_s`` seconds are spent; 409 raises
    :class:`SubmissionGone` at once; other 4xx raise :class:`SiteError` at once.
    """

    def __init__(self, api_url: str, token: str, *, retries: int = 8, budget_s: float = 120.0,
                 base_delay_s: float = 0.5, max_delay_s: float = 15.0, timeout_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.api_url = api_url
        self.retries = retries
        self.budget_s = budget_s
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "evalbox-compute-worker"
        self.session.trust_env = False  # never route the token through an environment proxy

    @classmethod
    def for_worker(cls, config: WorkerConfig, api_url: str, token: str, **kwargs: Any) -> SiteClient:
        """A client with the worker's configured retries and retry budget."""
        return cls(api_url, token, retries=config.report_retries, budget_s=config.report_retry_s, **kwargs)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # ------------------------------------------------------------------ core
    def _request(self, method: str, url: str, *, retry: bool = True, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            problem: str
            try:
                response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 409:
                    response.close()
                    raise SubmissionGone(f"{method} {url}: the site answered 409 (submission finished or cancelled)")
                if response.status_code < 400:
                    return response
                text = response.text[:300] if not kwargs.get("stream") else ""
                response.close()
                if response.status_code < 500:
                    raise SiteError(f"{method} {url}: the site refused the request ({response.status_code}): {text}")
                problem = f"HTTP {response.status_code}"
            elapsed = time.monotonic() - started
            if not retry or attempt > self.retries or elapsed >= self.budget_s:
                raise SiteError(f"{method} {url} failed after {attempt} attempt(s): {problem}")
            delay = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
            delay = min(delay * random.uniform(0.5, 1.0), max(0.0, self.budget_s - elapsed))
            logger.warning("%s %s: %s; retrying in %.1fs", method, url, problem, delay)
            self._sleep(delay)

    def _post(self, path: str, body: dict[str, Any]) -> requests.Response:
        response = self._request("POST", self.api_url + path, json=body)
        response.close()
        return response

    # ------------------------------------------------------------------ API
    def status(self, report: protocol.StatusReport) -> None:
        """``POST status`` (RUNNING, SCORING or a heartbeat repeating the current one)."""
        self._post(protocol.STATUS_PATH, report.to_json())

    def heartbeat(self, report: protocol.StatusReport) -> None:
        """A status report sent once, without retries (the next heartbeat comes soon).

        Still raises :class:`SubmissionGone` on 409 so the caller can stop the run.
        """
        try:
            response = self._request("POST", self.api_url + protocol.STATUS_PATH, json=report.to_json(), retry=False)
            response.close()
        except SubmissionGone:
            raise
        except SiteError as exc:
            logger.warning("heartbeat failed: %s", exc)

    def logs(self, report: protocol.LogReport) -> None:
        """``POST logs``."""
        self._post(protocol.LOGS_PATH, report.to_json())

    def log_chunk(self, report: protocol.LogReport) -> None:
        """``POST logs`` once, without retries: :class:`SiteError` when the site did not take it."""
        self._request("POST", self.api_url + protocol.LOGS_PATH, json=report.to_json(), retry=False).close()

    def result(self, report: protocol.ResultReport) -> None:
        """``POST result``."""
        self._post(protocol.RESULT_PATH, report.to_json())

    def get_json(self, url: str) -> Any:
        """``GET url`` (retried like the reports) and its JSON body."""
        response = self._request("GET", url)
        try:
            return response.json()
        except ValueError as exc:
            raise SiteError(f"GET {url}: the answer is not JSON") from exc
        finally:
            response.close()

    def download(self, url: str, destination: Path, *, max_bytes: int | None = None) -> str:
        """GET ``url`` streamed to ``destination``; return the sha256 of the bytes written.

        Raises :class:`SiteError` when the body exceeds ``max_bytes``. The file is written to a
        temporary name and renamed, so ``destination`` is either complete or absent.
        """
        partial = destination.with_name(destination.name + ".part")
        response = self._request("GET", url, stream=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with open(partial, "wb") as handle:
                for chunk in response.iter_content(chunk_size=1 << 20):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise SiteError(f"GET {url}: the download is larger than {max_bytes} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
            os.replace(partial, destination)
        except requests.RequestException as exc:
            raise SiteError(f"GET {url}: the download was interrupted: {exc}") from exc
        finally:
            response.close()
            if partial.exists():
                partial.unlink()
        return digest.hexdigest()
