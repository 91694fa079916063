"""Driving the site in a browser as a person does."""

from __future__ import annotations

import re

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
