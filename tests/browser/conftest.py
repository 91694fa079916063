"""Browser fixtures: one headless Debian ``chromium`` per session driven by Playwright, a fresh context per page.

The site, the compute workers and the example images are the end-to-end fixtures of
``tests/e2e/conftest.py`` (imported, not copied). Screenshots go to ``tests/artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures)
    demo_archives,
    demo_phase,
    e2e_queue,
    example_images,
    one_worker,
    site,
    workers,
)
from tests.processes import ROOT

CHROMIUM = os.environ.get("EVALBOX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
PASSWORD = "pw"  # tests/conftest.py's make_user


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, for the whole session (``apt-get install chromium``; no download)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' installs playwright")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (or set EVALBOX_CHROMIUM).")
    # Playwright's sync API keeps an asyncio loop in this thread; Django refuses ORM calls in a thread
    # with a running loop unless told it is safe (it is: the loop only runs inside Playwright calls).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, site: str) -> Iterator[Callable[[], object]]:  # noqa: F811 (the imported fixture)
    """``new_page()``: a page in its own context (own cookies), on the live site, closed afterwards."""
    contexts = []

    def make():
        context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request) -> Callable[[object, str], Path]:
    """``screenshot(page, step)``: save ``tests/artifacts/browser/<test>-<nn>-<step>.png`` (full page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")[:80]
    counter = iter(range(1, 100))

    def take(page, step: str) -> Path:
        path = ARTIFACTS / f"{test}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.IGNORECASE)).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
