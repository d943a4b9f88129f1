"""Screenshots of the main pages on the demo data, for docs/screenshots/.

`make screenshots` runs this test with QORGAU_SCREENSHOTS=docs/screenshots; in the ordinary
suite the pictures go to a temporary folder, so the command is known to work."""

from __future__ import annotations

import os
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.allauth_bridge import totp_code
from qorgau.cases.models import Case
from qorgau.demo import loader, reference_case

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 740}
PNG = b"\x89PNG\r\n\x1a\n"


def _log_in(page: Page, live_server: LiveServer, role: str) -> None:
    page.goto(f"{live_server.url}{reverse('account_login')}")
    page.locator("input[name=login]").fill(loader.email_for(role))
    page.locator("input[name=password]").fill(loader.PASSWORD)
    page.locator("main").get_by_role("button", name="Log in").click()
    code = totp_code(loader.TOTP_SECRET)
    page.locator("input[name=code]").fill(code)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('duties:today')}")


LANGUAGES = ("en", "ru", "kk")


def test_screenshots_of_the_main_pages(phone: Page, live_server: LiveServer,
                                       tmp_path: Path) -> None:
    """The main pages in English, Russian and Kazakh (name-language.png), on one demo load
    and one login; the case page on a phone too."""
    folder = Path(os.environ.get("QORGAU_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    loader.load_demo()
    case = Case.objects.get(reference=reference_case.REFERENCE)
    ref = case.reference
    proceeding = case.proceedings.order_by("pk").values_list("pk", flat=True)[0]
    page = phone
    _log_in(page, live_server, "supervisor")
    shots = {
        "today": reverse("duties:today"),
        "cases": reverse("cases:list"),
        "case": reverse("cases:detail", args=[ref]),
        "case-picture": reverse("insights:case_picture", args=[ref]),
        "duties": reverse("duties:case", args=[ref]),
        "needs-action": reverse("duties:needs_action"),
        "risk": reverse("risk:case", args=[ref]),
        "evidence": reverse("evidence:list", args=[ref]),
        "proceedings": reverse("proceedings:list", args=[ref]),
        "proceeding": reverse("proceedings:detail", args=[ref, proceeding]),
        "story": reverse("cases:story", args=[ref]),
        "referrals": reverse("referrals:case", args=[ref]),
        "services": reverse("referrals:directory"),
        "accountability": reverse("insights:dashboard"),
    }
    written = []
    for language in LANGUAGES:
        page.set_viewport_size(DESKTOP)
        if language != "en":
            page.locator(f".langs button[value={language}]").click()
            expect(page.locator("html")).to_have_attribute("lang", language)
        for name, url in shots.items():
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("networkidle")
            path = folder / f"{name}-{language}.png"
            page.screenshot(path=str(path))
            written.append(path)
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server.url}{reverse('cases:detail', args=[ref])}")
        page.wait_for_load_state("networkidle")
        path = folder / f"case-phone-{language}.png"
        page.screenshot(path=str(path), full_page=False)
        written.append(path)
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, path.name
