"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download cannot run here, so the browser is /usr/bin/chromium
(`.ci/run` installs it where it is missing). Every test gets a fresh browser context with a
360 x 740 phone viewport and English as the browser's language.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.conftest import PASSWORD, totp_code

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PHONE: ViewportSize = {"width": 360, "height": 740}
STYLED = """(name) => [...document.styleSheets].some(sheet => {
    try { return (sheet.href || "").includes(name) && sheet.cssRules.length > 0; }
    catch (error) { return false; }  // a sheet that failed to load has no readable rules
})"""
TIMEOUT_MS = 15_000  # a local page answers in milliseconds; 15 s covers a busy shared machine


@pytest.fixture(scope="session", autouse=True)
def _allow_django_under_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running on the main thread for the rest
    of the session, and Django refuses database calls while a loop runs. The flag is set
    only once an e2e test runs, and stays until the session ends, as the loop does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _live_server_database(committed_db: None) -> None:
    """The live server's thread reads what the test committed (see qorgau/conftest.py)."""


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL (tests use live_server.url). Replaces pytest-playwright's fallback
    fixture, which pytest 9 warns about."""
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install "
                    "chromium); .ci/run does this on a fresh machine", pytrace=False)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": PHONE, "locale": "en-GB"}


@pytest.fixture
def phone(page: Page) -> Page:
    """The page, with short timeouts, checked to really be phone-sized."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    assert page.viewport_size == PHONE
    return page


def log_in(page: Page, live_server: LiveServer, user: User, home: bool = False) -> None:
    """Through allauth's login form, as a person would. The login lands on Today, the home
    page; the test then goes on from "my cases" unless `home`."""
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    # The second factor: the code the persona's authenticator app shows now.
    expect(page).to_have_url(f"{live_server.url}{reverse('mfa_authenticate')}")
    page.locator("input[name=code]").fill(totp_code())
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('duties:today')}")
    if not home:
        page.locator(f"nav a[href='{reverse('cases:list')}']").first.click()
        expect(page).to_have_url(f"{live_server.url}{reverse('cases:list')}")


def assert_fits_the_screen(page: Page, sheet: str = "/css/qorgau") -> None:
    """Nothing sticks out sideways: the phone never has to scroll horizontally."""
    # Measured unstyled, "my cases" is 380 px wide: wait until the stylesheet has applied.
    page.wait_for_load_state("load")
    try:
        page.wait_for_function(STYLED, arg=sheet)
    except PlaywrightTimeoutError:
        pytest.fail(f"{page.url}: the stylesheet {sheet} did not load")
    width, inner = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"], f"the window is {inner} px wide, not a phone"
    assert width <= inner, f"{page.url}: the page is {width} px wide on a {inner} px screen"
