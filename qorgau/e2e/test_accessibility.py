"""Accessibility in a real browser: axe-core finds no serious or critical WCAG 2.1 A/AA
violation on any main page, in each language; every page fits a 360 px phone and a window
zoomed to 200% (1280 px at 200% = 640 CSS px); the keyboard reaches everything with a visible
focus ring, starting with the skip link."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.bundles import services as bundle_services
from qorgau.cases.models import Case, Party
from qorgau.conftest import make_event
from qorgau.consent import services as consent_services
from qorgau.duties import services as duty_services
from qorgau.e2e.accessibility import axe_violations
from qorgau.e2e.conftest import PHONE, assert_fits_the_screen, log_in
from qorgau.evidence import services as evidence_services
from qorgau.proceedings import services as proceeding_services
from qorgau.referrals import services as referral_services
from qorgau.risk import services as risk_services

ZOOMED: ViewportSize = {"width": 640, "height": 800}  # a 1280 px window at 200% zoom


@pytest.fixture
def main_pages(case: Case, alice: User, survivor: Party, other_org, consent_to) -> list[str]:
    """A case with one of everything, and the URL of every main page a caseworker or a
    supervisor uses."""
    assessment = risk_services.record_assessment(case, alice, "qorgau-open", {})
    order = make_event(case, alice, kind="order_issued", start="2024-02-01",
                       institution="police")
    make_event(case, alice, kind="order_breached", start="2024-02-10",
               links=[(order, "breach_of")])
    report = make_event(case, alice, kind="police_report", start="2024-01-06",
                        institution="police", parties=[(survivor, "victim")])
    letter = duty_services.draft_letter(case, alice, "police_inaction", "ru")
    risk_services.save_safety_plan(case, alice, {"code_word": "Tea"}, {})
    exhibit = evidence_services.ingest(case, alice, evidence_services.Upload(
        io.BytesIO(b"A note written by the survivor.\n"), "note.txt"))
    court = consent_to(case, alice, "court")
    bundle = bundle_services.request_bundle(case, alice, "en", sees_restricted=True,
                                            grant_id=court.pk)
    proceeding = proceeding_services.open_proceeding(case, alice, kind="criminal_respondent",
                                                     court="Uralsk city court")
    to_partner = consent_to(case, alice, "referral", recipient_organisation=other_org)
    consent_services.share_case(case, alice, to_partner.pk)
    referral_services.load_demo_directory()
    ref = case.reference
    urls = [reverse(name) for name in (
        "cases:list", "cases:new", "duties:needs_action", "referrals:directory",
        "referrals:incoming", "shared:list", "insights:dashboard", "mfa_index",
        "tokens:list")]
    urls += [reverse(name, args=[ref]) for name in (
        "cases:detail", "insights:case_picture", "cases:parties", "cases:event_new",
        "cases:ledger", "duties:case", "risk:case", "risk:plan", "risk:plan_print",
        "evidence:list", "bundles:list", "proceedings:list", "consent:case",
        "retention:case", "referrals:case", "cases:status")]
    urls += [
        reverse("cases:event_detail", args=[ref, report.number]),
        reverse("cases:event_correct", args=[ref, report.number]),
        reverse("cases:party_edit", args=[ref, survivor.pk]),
        reverse("duties:letter", args=[ref, letter.pk]),
        reverse("risk:assess", args=[ref, "qorgau-open"]),
        reverse("risk:assessment", args=[ref, assessment.pk]),
        reverse("evidence:exhibit", args=[ref, exhibit.number]),
        reverse("bundles:detail", args=[ref, bundle.pk]),
        reverse("proceedings:detail", args=[ref, proceeding.pk]),
        f"{reverse('referrals:case', args=[ref])}?need=shelter",
    ]
    return urls


def _check(page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    problems = [f"{url}: {v['impact']} {v['rule']} ({v['help']}) at {v['nodes']}"
                for v in axe_violations(page)]
    assert_fits_the_screen(page, "/css/print" if "/print/" in url else "/css/qorgau")
    return problems


# In Russian and Kazakh, the pages whose layout the language changes most: the lists, the
# case page and its charts, the duties, the dashboard (every page runs in English).
KEY_PAGES = ("cases:list", "duties:needs_action", "insights:dashboard")
KEY_CASE_PAGES = ("cases:detail", "insights:case_picture", "duties:case", "risk:case",
                  "consent:case", "evidence:list")


def test_main_pages_pass_axe_on_a_phone(phone: Page, live_server: LiveServer, carol: User,
                                        case: Case, main_pages: list[str]) -> None:
    """Every main page in English, the key pages in Russian and Kazakh: one login, one
    case, the languages switched as a person would."""
    log_in(phone, live_server, carol)
    key = {reverse(name) for name in KEY_PAGES} | {
        reverse(name, args=[case.reference]) for name in KEY_CASE_PAGES}
    assert key <= set(main_pages)
    problems: list[str] = []
    for language in ("en", "ru", "kk"):
        if language != "en":
            phone.locator(f".langs button[value={language}]").click()
            expect(phone.locator("html")).to_have_attribute("lang", language)
        for url in main_pages if language == "en" else [u for u in main_pages if u in key]:
            problems += [f"{language} {p}" for p in _check(phone, f"{live_server.url}{url}")]
            if "/print/" not in url:  # the printed plan is in her language, and says so
                assert phone.locator("html").get_attribute("lang") == language, url
    assert problems == []


def test_main_pages_at_200_percent_zoom(phone: Page, live_server: LiveServer, carol: User,
                                        main_pages: list[str]) -> None:
    log_in(phone, live_server, carol)
    phone.set_viewport_size(ZOOMED)
    for url in main_pages:
        phone.goto(f"{live_server.url}{url}")
        phone.wait_for_load_state("load")
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= ZOOMED["width"], f"{url}: {width} px wide at 200% zoom"
    phone.set_viewport_size(PHONE)


def test_login_pages_pass_axe(phone: Page, live_server: LiveServer, alice: User) -> None:
    problems = _check(phone, f"{live_server.url}{reverse('account_login')}")
    phone.locator("input[name=login]").fill(alice.email)
    phone.locator("input[name=password]").fill("not the password")
    phone.locator("main").get_by_role("button", name="Log in").click()
    expect(phone.locator("main")).to_contain_text("not correct")
    problems += [f"login with an error: {v}" for v in axe_violations(phone)]
    assert problems == []


def test_the_keyboard_reaches_everything_with_a_visible_focus(
        phone: Page, live_server: LiveServer, alice: User, main_pages: list[str],
        case: Case) -> None:
    log_in(phone, live_server, alice)
    phone.goto(f"{live_server.url}{reverse('cases:event_new', args=[case.reference])}")
    phone.wait_for_load_state("load")
    phone.keyboard.press("Tab")
    first = phone.evaluate("() => document.activeElement.className")
    assert first == "skip", "the first Tab stop is the skip link"
    assert phone.evaluate("() => document.activeElement.getBoundingClientRect().left >= 0")
    controls = phone.evaluate("""() => [...document.querySelectorAll(
        'main a[href], main button, main input:not([type=hidden]), main select, main textarea')]
        .filter(e => !e.disabled && e.offsetParent !== null).length""")
    seen: set[str] = set()
    unfocused: list[str] = []
    for _ in range(controls + 40):
        phone.keyboard.press("Tab")
        info = phone.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return {key: e.outerHTML.slice(0, 120), inMain: !!e.closest('main'),
                    ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
                          || s.boxShadow !== 'none'}; }""")
        if info["inMain"]:
            seen.add(info["key"])
            if not info["ring"]:
                unfocused.append(info["key"])
    assert unfocused == [], f"focused without a visible ring: {unfocused[:5]}"
    assert len(seen) >= controls * 0.9, f"Tab reached {len(seen)} of {controls} controls"
