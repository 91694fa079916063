"""Fixture of the site tests: an embedded broker per test (the factories are :mod:`tests.helpers.site_fixtures`)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _embedded_broker(settings, tmp_path) -> None:
    """Dispatch to a throw-away filesystem broker unless a test says otherwise."""
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.EVALBOX_BROKER_DIR = tmp_path / "broker"
    settings.EVALBOX_SITE_URL = "http://testserver"
