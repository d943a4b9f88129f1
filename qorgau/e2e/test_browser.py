"""The core web UI in a real browser on a 360 px phone: log in, my cases, the case timeline,
adding an event, the parties page, the three languages, and the 404 an outsider gets."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Party
from qorgau.conftest import make_event
from qorgau.e2e.conftest import assert_fits_the_screen, log_in


def test_caseworker_on_a_phone_reads_the_case_and_adds_an_event(
    phone: Page, live_server: LiveServer, alice: User, case: Case, survivor: Party,
    respondent: Party,
) -> None:
    make_event(case, alice, start="2024-01-05", narrative="He hit her in the kitchen.")
    make_event(case, alice, kind="police_report", start="2024-01-06",
               narrative="She reported it at the district police station.")
    detail = f"{live_server.url}{reverse('cases:detail', args=[case.reference])}"

    log_in(phone, live_server, alice)
    results = phone.locator("#results")
    expect(results).to_contain_text(case.reference)
    expect(results).to_contain_text("Zhanar Testbayeva")
    assert_fits_the_screen(phone)

    phone.get_by_role("link", name=case.reference, exact=True).click()
    expect(phone).to_have_url(detail)
    expect(phone.locator("h1")).to_have_text(f"Case {case.reference}")
    timeline = phone.locator("ol.timeline > li")
    expect(timeline).to_have_count(2)
    expect(phone.locator("#e1")).to_contain_text("He hit her in the kitchen.")
    expect(phone.locator("#e2")).to_contain_text("Report to police")
    expect(phone.locator("#e2")).to_contain_text("district police station")
    assert_fits_the_screen(phone)

    phone.locator("nav.case-nav").get_by_role("link", name="Parties", exact=True).click()
    expect(phone.locator("h1")).to_have_text(f"Parties to case {case.reference}")
    expect(phone.locator("ul.cards")).to_contain_text("Marat Testbayev")
    assert_fits_the_screen(phone)

    phone.locator("nav.case-nav").get_by_role("link", name="Add event", exact=True).click()
    expect(phone.locator("h1")).to_have_text("Add an event")
    assert_fits_the_screen(phone)
    phone.locator("select[name=kind]").select_option("threat_to_kill")
    phone.locator("input[name=when_start]").fill("2024-03-01")
    phone.locator("select[name=source]").select_option("witness")
    phone.locator("select[name=reliability]").select_option("confirmed")
    phone.locator("textarea[name=narrative]").fill("He threatened her by phone at night.")
    phone.get_by_role("button", name="Record the event", exact=True).click()

    expect(phone).to_have_url(f"{detail}?event=3#e3")  # the page of the timeline that shows it
    expect(phone.locator("ul.messages")).to_contain_text("Event #3 recorded.")
    expect(timeline).to_have_count(3)
    added = phone.locator("#e3")
    expect(added).to_contain_text("Threat to kill")
    expect(added).to_contain_text("1 Mar 2024")
    expect(added).to_contain_text("He threatened her by phone at night.")
    expect(added).to_contain_text("Witness")
    expect(added).to_contain_text("Confirmed")
    assert_fits_the_screen(phone)
    assert case.events.count() == 3


# The navigation labels as locale/ru and locale/kk translate them.
NAV = {
    "en": ("My cases", "New case", "Log out"),
    "ru": ("Мои дела", "Новое дело", "Выйти"),
    "kk": ("Менің істерім", "Жаңа іс", "Шығу"),
}


def test_the_language_buttons_switch_to_russian_and_kazakh(
    phone: Page, live_server: LiveServer, alice: User, case: Case,
) -> None:
    log_in(phone, live_server, alice)
    header = phone.locator("header.site")
    html = phone.locator("html")
    expect(html).to_have_attribute("lang", "en")
    for label in NAV["en"]:
        expect(header).to_contain_text(label)

    for code, button in (("ru", "Русский"), ("kk", "Қазақша")):
        phone.locator("form.langs").get_by_role("button", name=button, exact=True).click()
        expect(html).to_have_attribute("lang", code)
        expect(phone).to_have_url(f"{live_server.url}{reverse('cases:list')}")
        expect(phone.locator("form.langs button[aria-current=true]")).to_have_text(button)
        for label in NAV[code]:
            expect(header).to_contain_text(label)
        for other, labels in NAV.items():
            if other != code:
                for label in labels:
                    expect(header).not_to_contain_text(label)
        expect(phone.locator("h1")).to_have_text(NAV[code][0])
        expect(phone.locator("#results")).to_contain_text(case.reference)
        assert_fits_the_screen(phone)

    # The choice is kept: the next page is in Kazakh too.
    phone.get_by_role("link", name=case.reference, exact=True).click()
    expect(phone.locator("nav.case-nav")).to_contain_text("Хронология")
    expect(phone.locator("nav.case-nav")).not_to_contain_text("Timeline")
    assert_fits_the_screen(phone)


def test_an_outsider_gets_the_404_page_for_the_case(
    phone: Page, live_server: LiveServer, dave: User, case: Case, survivor: Party,
) -> None:
    log_in(phone, live_server, dave)
    expect(phone.locator("#results")).not_to_contain_text(case.reference)

    for name in ("cases:detail", "cases:parties", "cases:event_new"):
        url = f"{live_server.url}{reverse(name, args=[case.reference])}"
        response = phone.goto(url)
        assert response is not None and response.status == 404, (url, response)
        expect(phone.locator("h1")).to_have_text("Page not found")
        expect(phone).to_have_title(re.compile(r"^Page not found"))
        expect(phone.locator("main")).not_to_contain_text("Zhanar Testbayeva")
        expect(phone.locator("main")).not_to_contain_text(case.reference)
        assert_fits_the_screen(phone)


def test_a_long_timeline_pages_in_place_and_finds_an_event_by_its_anchor(
    phone: Page, live_server: LiveServer, alice: User, case: Case,
) -> None:
    for year in range(1990, 2020):  # 30 events: two pages
        make_event(case, alice, start=f"{year}-03-01", narrative=f"In {year}.")
    detail = f"{live_server.url}{reverse('cases:detail', args=[case.reference])}"
    log_in(phone, live_server, alice)
    phone.goto(detail)
    rows = phone.locator("ol.timeline > li")
    expect(rows).to_have_count(25)
    expect(phone.locator("#e30")).to_contain_text("In 2019.")
    expect(phone.locator("#e1")).to_have_count(0)

    # htmx: the earlier page swapped in place, its address in the history.
    phone.get_by_role("link", name="Earlier events").first.click()
    expect(phone).to_have_url(re.compile(r"\?page=2"))
    expect(phone.locator("#e1")).to_contain_text("In 1990.")
    expect(rows).to_have_count(5)
    expect(phone.locator(".duties-panel")).to_have_count(1)
    assert_fits_the_screen(phone)

    # An old-style link to #e1 (no ?event=) still reaches it, on its page.
    phone.goto(f"{detail}#e1")
    expect(phone).to_have_url(f"{detail}?event=1#e1")
    expect(phone.locator("#e1")).to_be_visible()
