"""Browser tests: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from core.testing.servers import DEMO_PASSWORD

CHROMIUM = os.environ.get("FRONTDESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (Playwright's own download is not used).

    Per module, not per session: Playwright's sync API keeps an event loop running in the
    test thread while it lives, and later tests that call asyncio.run() need it gone."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[Any]:
    """A browser tab on the standard app (empty database), served on loopback."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def browser_as(browser, live_demo_server) -> Iterator[Callable[..., Any]]:
    """``browser_as("frontdesk")``: a new browser tab on the demo app (``live_demo_server``),
    signed in through the real sign-in form. Each call is a separate browser context (its
    own cookies), so a test can watch one user's page while another acts."""
    contexts = []

    def open_as(username: str, password: str = DEMO_PASSWORD, locale: str = "en-US"):
        context = browser.new_context(base_url=live_demo_server.url, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()
