"""The evalbox JSON API as the ``evalbox`` command calls it, with the user's API token."""

from __future__ import annotations

from typing import Any

import requests

from .errors import EXIT_HTTP, EXIT_NETWORK, CliError

TIMEOUT_S = 30


class Site:
    """The evalbox JSON API with the user's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self.http.headers["User-Agent"] = "evalbox-cli"
        if token:
            self.http.headers["Authorization"] = f"Token {token}"
        self.has_token = bool(token)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer of ``method path``; :class:`CliError` for any HTTP or network problem."""
        return self._payload(self._send(method, path, **kwargs))

    def get_if_changed(self, path: str, tag: str | None) -> tuple[dict[str, Any], str | None] | None:
        """``GET path`` revalidating ``tag`` (the ETag of the last answer): ``None`` while unchanged (304),
        else the answer and its ETag. A poll that finds nothing new costs the site one query."""
        response = self._send("GET", path, headers={"If-None-Match": tag} if tag else {})
        if response.status_code == 304:
            return None
        return self._payload(response), response.headers.get("ETag")

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.url}/api/{path}"
        try:
            return self.http.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise CliError(f"Cannot reach {self.url} ({reason}). Check --site and your connection.",
                           EXIT_NETWORK) from None

    def _payload(self, response: requests.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.ok and isinstance(payload, dict):
            return payload
        raise CliError(self._explain(response, payload), EXIT_HTTP)

    def _explain(self, response: requests.Response, payload: Any) -> str:
        code = response.status_code
        message = ""
        if isinstance(payload, dict):
            errors = payload.get("errors")
            if isinstance(errors, dict) and errors:
                message = "; ".join(
                    f"{field}: {problems[0] if isinstance(problems, list) and problems else problems}"
                    for field, problems in errors.items()
                )
            else:
                message = str(payload.get("error") or "")
        if not message:
            message = "the site did not answer with JSON" if response.ok else (response.reason or "error")
        hint = ""
        if code == 401:
            hint = (" Set EVALBOX_TOKEN (or token in the config file) to your API key." if not self.has_token
                    else " Your API token was refused: check it.")
        elif code == 429:
            hint = " Try again later."
        return f"HTTP {code}: {message}{hint}"
