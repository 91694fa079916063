"""The suite's plugins and its database settings.

Every shared fixture lives in :mod:`tests.helpers` and is registered here, once, for every
directory; :mod:`tests.helpers.markers` marks the tests by the services they need and fails
those whose service is missing.

Database: SQLite by default, in a file (not in memory) so that tests with real threads share
it and wait on its locks; PostgreSQL when ``DATABASE_URL`` is set (pytest-django creates
``test_<name>``). Uploaded files go to a per-test temporary ``MEDIA_ROOT``.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

pytest_plugins = [
    "pytester",
    "tests.helpers.markers",
    "tests.helpers.service_fixtures",
    "tests.helpers.site_fixtures",
    "tests.helpers.worker_fixtures",
    "tests.helpers.e2e_fixtures",
    "tests.helpers.browser_fixtures",
    "tests.helpers.integrity_fixtures",
]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory) -> None:
    """Put the SQLite test database in a file shared by threads."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fast_test_settings(settings, tmp_path) -> None:
    """A fast password hasher, a throw-away media directory for uploads, an empty cache."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # the sign-in and sign-up limits count in the cache: each test starts afresh
