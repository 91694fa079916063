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
        url = f"{self.url}/api/{path}"
        try:
            response = self.http.request(method, url, timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            reason = type(exc).__name__
            raise CliError(f"Cannot reach {self.url} ({reason}). Check --site and your connection.",
                           EXIT_NETWORK) from None
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
