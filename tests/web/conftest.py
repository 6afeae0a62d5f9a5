"""Fixtures of the web tests: the cases' small world (grids with boundaries) and a real browser."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cases.conftest import World, world  # the fixture, reused

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright; skipped with the reason when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    # calls under a running loop; the test's own database reads are safe (one thread, no awaits).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized page (390×844, the resident pages are mobile first)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def log_in(context: Any, user: Any, server_url: str) -> None:
    """Log a browser context in as `user`: a test client's session, handed over as the cookie."""
    from django.conf import settings
    from django.test import Client

    session = Client()
    session.force_login(user)
    cookie = session.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server_url}])


@pytest.fixture
def screenshot() -> Any:
    """Save a screenshot into docs/screenshots, only when GRIDGOV_SCREENSHOTS=1 (keeps the tree clean)."""

    def take(page: Any, name: str) -> None:
        if os.environ.get("GRIDGOV_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for size, viewport in {
            "phone": {"width": 390, "height": 844},
            "desktop": {"width": 1280, "height": 800},
        }.items():
            page.set_viewport_size(viewport)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})

    return take


__all__ = ["World", "log_in", "world"]
