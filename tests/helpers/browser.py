"""Driving the site in a browser as a person does."""

from __future__ import annotations

import re
import time

from tests.helpers.accounts import PASSWORD

#: Headless chromium in a container-less CI: no sandbox, no GPU, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.IGNORECASE)).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def wait_for_expression(page, expression: str, timeout_s: float = 30) -> None:
    """Wait until ``expression`` (JavaScript) is truthy in ``page``.

    Playwright's ``wait_for_function`` re-evaluates its predicate with ``eval`` inside the page,
    which the site's Content-Security-Policy refuses whenever the first check is false; a plain
    ``evaluate`` is not subject to the policy.
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"{expression} still false after {timeout_s} s"
        page.wait_for_timeout(50)
