"""In a real browser: no Content-Security-Policy violation on the main pages, and the quick
exit leaves no way back to the case."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Party
from qorgau.conftest import make_event, totp_code
from qorgau.e2e.conftest import log_in


def test_main_pages_raise_no_csp_violation(phone: Page, live_server: LiveServer, alice: User,
                                           case: Case, survivor: Party) -> None:
    make_event(case, alice, kind="police_report", start="2024-01-06")
    problems: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            problems.append(message.text)

    phone.on("console", watch)
    phone.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Refused to ' + e.violatedDirective + ' ' + e.blockedURI));")
    log_in(phone, live_server, alice)
    # An htmx request too: filtering the list swaps part of the page.
    phone.locator("select[name=status]").select_option("open")
    expect(phone.locator("#results")).to_contain_text(case.reference)
    for name in ("cases:detail", "insights:case_picture", "duties:case", "risk:case",
                 "evidence:list",
                 "proceedings:list", "bundles:list", "consent:case", "cases:parties",
                 "cases:event_new"):
        phone.goto(f"{live_server.url}{reverse(name, args=[case.reference])}")
        phone.wait_for_load_state("load")
    phone.goto(f"{live_server.url}{reverse('duties:needs_action')}")
    phone.wait_for_load_state("load")
    assert problems == []
    # The watch itself works: an inline script is refused and reported.
    phone.evaluate("""() => { const s = document.createElement('script');
                              s.textContent = 'window.injected = 1';
                              document.body.appendChild(s); }""")
    phone.wait_for_timeout(300)
    assert phone.evaluate("() => window.injected") is None
    assert any("script-src" in p for p in problems), problems


def test_quick_exit_leaves_no_way_back(phone: Page, live_server: LiveServer, alice: User,
                                       case: Case, survivor: Party, settings) -> None:
    settings.QORGAU_QUICK_EXIT_URL = "about:blank"
    log_in(phone, live_server, alice)
    detail = f"{live_server.url}{reverse('cases:detail', args=[case.reference])}"
    phone.goto(detail)
    expect(phone.locator("h1")).to_contain_text(case.reference)
    phone.keyboard.press("Escape")
    phone.keyboard.press("Escape")
    expect(phone).to_have_url("about:blank")
    phone.go_back()  # the case page's own entry was replaced; this is the list before it
    phone.wait_for_load_state("load")
    assert phone.url.startswith(f"{live_server.url}{reverse('account_login')}")
    assert case.reference not in phone.content()
    phone.goto(detail)  # and nothing of the case can be reached again
    assert phone.url.startswith(f"{live_server.url}{reverse('account_login')}")
    assert "Zhanar Testbayeva" not in phone.content()


def test_quick_exit_button(phone: Page, live_server: LiveServer, alice: User, case: Case,
                           settings) -> None:
    settings.QORGAU_QUICK_EXIT_URL = "about:blank"
    log_in(phone, live_server, alice)
    phone.get_by_role("button", name="Quick exit").click()
    expect(phone).to_have_url("about:blank")
    phone.goto(f"{live_server.url}{reverse('cases:list')}")
    assert phone.url.startswith(f"{live_server.url}{reverse('account_login')}")


def test_first_login_sets_up_the_authenticator_app(phone: Page, live_server: LiveServer,
                                                   org) -> None:
    """A new colleague: password, then the app set up from the QR page, then recovery codes;
    no CSP violation on the way (the QR code is an inline data: image)."""

    from qorgau.accounts.services import add_member, create_user
    from qorgau.conftest import PASSWORD

    newcomer = create_user("nadia@tcc.test", PASSWORD)
    add_member(newcomer, org, "caseworker")
    problems: list[str] = []
    phone.on("console", lambda m: problems.append(m.text)
             if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    phone.goto(f"{live_server.url}{reverse('account_login')}")
    phone.locator("input[name=login]").fill(newcomer.email)
    phone.locator("input[name=password]").fill(PASSWORD)
    phone.locator("main").get_by_role("button", name="Log in").click()
    expect(phone).to_have_url(re.compile(re.escape(reverse("mfa_activate_totp"))))
    assert phone.locator("img.qr").evaluate("img => img.naturalWidth") > 0
    secret = phone.locator("#authenticator_secret").input_value()
    phone.locator("input[name=code]").fill(totp_code(secret=secret))  # not in a code's last 5 s
    phone.get_by_role("button", name="Turn on").click()
    expect(phone.locator("h1")).to_have_text("Recovery codes")
    assert phone.locator("ul.codes li").count() == 10
    phone.get_by_role("link", name="Go to my cases").click()
    expect(phone).to_have_url(f"{live_server.url}{reverse('cases:list')}")
    assert problems == []


def test_dashboard_and_case_picture_in_the_browser(phone: Page, live_server: LiveServer,
                                                   alice: User, carol: User, case: Case,
                                                   survivor: Party) -> None:
    """The case page draws its picture (fetched by htmx) and the supervisor's dashboard
    shows charts, both without a CSP violation and without sideways scrolling at 360 px."""
    from qorgau.e2e.conftest import assert_fits_the_screen

    make_event(case, alice, kind="order_issued", start="2024-01-10")
    make_event(case, alice, kind="order_breached", start="2024-01-20")
    problems: list[str] = []
    phone.on("console", lambda m: problems.append(m.text)
             if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    log_in(phone, live_server, carol)
    phone.goto(f"{live_server.url}{reverse('cases:detail', args=[case.reference])}")
    expect(phone.locator("svg.case-picture")).to_be_visible()
    assert phone.locator("svg.case-picture .mark--breach").count() == 1
    assert_fits_the_screen(phone)
    phone.goto(f"{live_server.url}{reverse('insights:dashboard')}?year=2024")
    expect(phone.locator("h1")).to_have_text("Accountability")
    assert phone.locator("svg.bar-chart").count() >= 10
    assert_fits_the_screen(phone)
    assert problems == []


def test_a_name_searched_stays_out_of_the_address_and_history(
        phone: Page, live_server: LiveServer, alice: User, case: Case, survivor: Party) -> None:
    """The case search is a POST (issue 28): the name typed finds her case, and neither the
    address bar nor any history entry holds it."""
    from qorgau.cases import services

    other = services.create_case(case.organisation, alice, region="kz-almaty")
    log_in(phone, live_server, alice)
    phone.goto(f"{live_server.url}{reverse('cases:list')}")
    expect(phone.locator("#results")).to_contain_text(other.reference)
    entries = phone.evaluate("history.length")
    phone.get_by_label("Reference or full name").fill("zhanar  TESTBAYEVA")
    phone.locator("#case-filters").get_by_role("button", name="Show").click()
    expect(phone.locator("#results")).not_to_contain_text(other.reference)
    expect(phone.locator("#results")).to_contain_text(case.reference)
    assert phone.url == f"{live_server.url}{reverse('cases:list')}"
    assert phone.evaluate("history.length") == entries  # the search pushed no entry
    assert "zhanar" not in phone.evaluate("location.href").lower()
