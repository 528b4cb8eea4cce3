"""Browser-test fixtures (Playwright's sync API with Debian's chromium; never downloads one).

Reuse them in any e2e test:

- ``browser`` (session): chromium at /usr/bin/chromium, headless; the test is skipped with
  "chromium not found at /usr/bin/chromium: browser test skipped" when it is missing.
- ``page``: a fresh browser context and page per test.
- ``login``: ``login("dr-patel")`` logs a demo user in against pytest-django's
  ``live_server`` and returns the page (the demo clinic is loaded first).
- ``live_url``: ``live_url("/stock/")`` is that path on the live server.
- ``screenshot(page, name)``: a full-page screenshot into docs/screenshots/ when refreshing
  them (``MESOCLINIC_SCREENSHOTS=1``), else into a scratch folder.

``live_server`` runs the test transactionally (the database is flushed afterwards), so
these fixtures ask for ``demo``, which reloads the demo clinic when it is missing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM must still work.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DEMO_PASSWORD = "mesoclinic-demo"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """A full-page screenshot (or of the viewport only: ``full_page=False``, for a long
    page): into docs/screenshots when refreshing them (``MESOCLINIC_SCREENSHOTS=1``), else
    into a scratch folder, so that a test run leaves the working tree as it found it."""
    folder = DOCS_SCREENSHOTS
    if os.environ.get("MESOCLINIC_SCREENSHOTS") != "1":
        folder = Path(tempfile.gettempdir()) / "mesoclinic-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless chromium for the whole session, or a skip when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: browser test skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new page in its own browser context (no cookies shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def live_url(live_server: Any) -> Callable[[str], str]:
    """Absolute URL of a path on the live server."""
    return lambda path: f"{live_server.url}{path}"


@pytest.fixture
def login(page: Any, live_url: Callable[[str], str], demo: None) -> Callable[..., Any]:
    """``login(username)`` signs a demo staff user in and returns the page on the dashboard."""

    def log_in(username: str, password: str = DEMO_PASSWORD) -> Any:
        page.goto(live_url("/login/"))
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(live_url("/"))
        return page

    return log_in
