"""Browser fixtures: one headless Debian ``chromium`` per session driven by Playwright, a fresh context per page.

Any test using ``browser`` is marked ``browser`` (:mod:`tests.helpers.markers`), which checks
that Playwright and chromium are there first. Screenshots go to ``tests/artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.browser import CHROMIUM_ARGS
from tests.helpers.paths import ARTIFACTS
from tests.helpers.services import CHROMIUM

SCREENSHOTS = ARTIFACTS / "browser"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium, headless, for the whole session (``apt-get install chromium``; no download)."""
    from playwright import sync_api

    # Playwright's sync API keeps an asyncio loop in this thread; Django refuses ORM calls in a thread
    # with a running loop unless told it is safe (it is: the loop only runs inside Playwright calls).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
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
def new_page(browser, site: str) -> Iterator[Callable[[], object]]:
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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name).strip("_")[:80]
    counter = iter(range(1, 100))

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{test}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
