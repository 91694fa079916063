"""Speaking to the site's API in-process (Django's test client): the client and the endpoints' URLs."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


class Api:
    """A test client speaking JSON, as a person (Token or session) or a worker (Bearer)."""

    def __init__(self, client: Client, headers: dict[str, str] | None = None) -> None:
        self.client, self.headers = client, headers or {}

    def get(self, url: str, **params: Any):
        """GET with query parameters."""
        return self.client.get(url, params, headers=self.headers)

    def post(self, url: str, body: Any = None, *, raw: bytes | str | None = None,
             content_type: str = "application/json"):
        """POST a JSON body (or ``raw`` bytes with ``content_type``)."""
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(url, data, content_type=content_type, headers=self.headers)


def submissions_url(slug: str) -> str:
    """The submissions endpoint of a competition."""
    return f"/api/competitions/{slug}/submissions/"


def worker_url(submission_id: int, path: str) -> str:
    """A worker endpoint of a submission."""
    return f"/api/worker/submissions/{submission_id}/{path}"
