"""A team in the browser (issue 27): the administrator invites a lawyer, who sets her password
from the e-mailed link and enrols the second factor; the caseworker adds her to a case and she
sees it; the caseworker is switched off (her session and API token stop at once) and her case
is handed to a colleague from the team page."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.api import tokens
from qorgau.api.tests.contract import ApiClient
from qorgau.cases.models import Case, CaseAssignment
from qorgau.conftest import totp_code
from qorgau.e2e.conftest import PHONE, TIMEOUT_MS, log_in

NEW_PASSWORD = "a long new password 42"  # noqa: S105 (a test account's)


def _context(browser: Browser) -> Page:
    page = browser.new_context(viewport=PHONE, locale="en-GB").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def test_invite_add_to_a_case_switch_off_and_hand_over(
        phone: Page, browser: Browser, live_server: LiveServer, mailoutbox, personas,
        alice: User, bob: User, case: Case) -> None:

    from qorgau.cases import services

    admin = personas["admin"]
    url = live_server.url
    her_other = services.create_case(case.organisation, alice, region="kz-west")  # hers alone
    # 1. The administrator invites a lawyer.
    log_in(phone, live_server, admin, home=True)
    phone.goto(f"{url}{reverse('accounts:organisation', args=['tcc'])}")
    phone.locator("#invite-email").fill("lena.lawyer@tcc.test")
    phone.locator("#invite-role").select_option("lawyer")
    phone.get_by_role("button", name="Invite").click()
    expect(phone.locator(".messages")).to_contain_text("Invited")
    [message] = mailoutbox
    link = re.search(r"https?://\S+/password/reset/key/\S+", message.body)
    assert link, message.body

    # 2. She chooses her password from the link, logs in and sets up the authenticator app.
    lena = _context(browser)
    lena.goto(link.group(0).replace("http://testserver", url))
    lena.locator("input[name=password1]").fill(NEW_PASSWORD)
    lena.locator("input[name=password2]").fill(NEW_PASSWORD)
    lena.get_by_role("button", name="Change Password").click()
    expect(lena.locator("h1")).to_have_text("Change Password")  # "…is now changed"
    lena.goto(f"{url}{reverse('mfa_activate_totp')}")
    if reverse("account_login") in lena.url:
        lena.locator("input[name=login]").fill("lena.lawyer@tcc.test")
        lena.locator("input[name=password]").fill(NEW_PASSWORD)
        lena.locator("main").get_by_role("button", name="Log in").click()
    expect(lena).to_have_url(re.compile(re.escape(reverse("mfa_activate_totp"))))
    secret = lena.locator("#authenticator_secret").input_value()
    lena.locator("input[name=code]").fill(totp_code(secret=secret))  # not in a code's last 5 s
    lena.get_by_role("button", name="Turn on").click()
    expect(lena.locator("h1")).to_have_text("Recovery codes")
    refused = lena.goto(f"{url}{reverse('cases:detail', args=[case.reference])}")
    assert refused is not None and refused.status == 404  # not hers yet

    # 3. The caseworker adds her to the case; she sees it.
    worker = _context(browser)
    log_in(worker, live_server, alice)
    issued = tokens.create_token(alice, "phone", ["read"], 30)
    assert ApiClient(issued.secret).get("cases").status_code == 200
    worker.goto(f"{url}{reverse('cases:people', args=[case.reference])}")
    newcomer = User.objects.get(email="lena.lawyer@tcc.test")
    worker.locator("select[name=action]").select_option("add")
    worker.locator("select[name=person]").select_option(str(newcomer.pk))
    worker.locator("select[name=access]").select_option("write")
    worker.locator("main").get_by_role("button", name="Save").click()
    expect(worker.locator("main table")).to_contain_text("lena.lawyer@tcc.test")
    response = lena.goto(f"{url}{reverse('cases:detail', args=[case.reference])}")
    assert response is not None and response.status == 200

    # 4. The caseworker leaves: switched off, her session and token stop at once.
    phone.reload()
    phone.locator(f"form:has(input[name=member][value='{alice.pk}'])").get_by_role(
        "button", name="Switch off").click()
    expect(phone.locator(".messages")).to_contain_text("Switched off")
    worker.goto(f"{url}{reverse('cases:list')}")
    assert worker.url.startswith(f"{url}{reverse('account_login')}")
    assert ApiClient(issued.secret).get("cases").status_code == 401

    # 5. The case only she worked on waits on the team page (the shared one does not: the
    # lawyer works on it); the administrator hands it to a colleague.
    phone.goto(f"{url}{reverse('duties:team')}")
    assert phone.locator(f"input[name=case][value='{case.reference}']").count() == 0
    waiting = phone.locator(f"form:has(input[name=case][value='{her_other.reference}'])")
    waiting.locator("select[name=person]").select_option(str(bob.pk))
    waiting.get_by_role("button", name="Assign").click()
    expect(phone.locator(".messages")).to_contain_text(f"Case {her_other.reference} assigned")
    assert CaseAssignment.objects.filter(case=her_other, user=bob, access="write").exists()
