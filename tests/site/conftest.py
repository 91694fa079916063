"""Fixtures of the site tests: an embedded broker per test, API clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from competition.models import ApiToken


@pytest.fixture(autouse=True)
def _embedded_broker(settings, tmp_path) -> None:
    """Dispatch to a throw-away filesystem broker unless a test says otherwise."""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = tmp_path / "broker"
    settings.EVALBOX_SITE_URL = "http://testserver"


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


@pytest.fixture
def api_for() -> Callable[..., Api]:
    """``api_for(user)``: a Token-authenticated client; ``api_for(None)``: anonymous."""

    def make(user=None) -> Api:
        if user is None:
            return Api(Client())
        return Api(Client(), {"Authorization": f"Token {ApiToken.issue(user)}"})

    return make


@pytest.fixture
def worker_api() -> Callable[[str], Api]:
    """``worker_api(token)``: a client sending ``Authorization: Bearer <token>``."""
    return lambda token: Api(Client(), {"Authorization": f"Bearer {token}"})


def submissions_url(slug: str) -> str:
    """The submissions endpoint of a competition."""
    return f"/api/competitions/{slug}/submissions/"


def worker_url(submission_id: int, path: str) -> str:
    """A worker endpoint of a submission."""
    return f"/api/worker/submissions/{submission_id}/{path}"
