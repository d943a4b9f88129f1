"""Phone-first layout at 390 px: the header is compact, tables become labelled cards, and
closing a case asks why first."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.e2e.conftest import assert_fits_the_screen, log_in

PHONE_390: ViewportSize = {"width": 390, "height": 844}


def test_tables_are_cards_and_closing_asks_why_at_390_px(
        phone: Page, live_server: LiveServer, alice: User, case: Case, consent_to) -> None:
    consent_to(case, alice, "court")
    log_in(phone, live_server, alice)
    phone.set_viewport_size(PHONE_390)
    phone.goto(f"{live_server.url}{reverse('consent:case', args=[case.reference])}")
    table = phone.locator("main table.table").first
    expect(table).to_be_visible()
    header = phone.locator("header.site").bounding_box()
    assert header is not None and header["height"] <= 140, header
    # The column headings are off screen; every cell says which column it is.
    head = table.locator("thead").bounding_box()
    assert head is not None and head["x"] + head["width"] < 0, head
    cell = table.locator("tbody tr").first.locator("td").first
    expect(cell).to_have_attribute("data-label", table.locator("thead th").first.inner_text())
    assert cell.evaluate("e => getComputedStyle(e).display") == "grid"
    assert table.locator("tbody tr").first.evaluate("e => getComputedStyle(e).display") == "block"
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_390["width"], f"{width} px wide"

    # "Close the case" is a confirmation with a reason, not one tap.
    phone.goto(f"{live_server.url}{reverse('cases:detail', args=[case.reference])}")
    phone.locator("main").get_by_role("link", name="Close the case").click()
    expect(phone.locator("h1")).to_contain_text("Close case")
    phone.locator("main").get_by_role("button", name="Close the case").click()
    expect(phone.locator(".form-errors")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Choose why the case is closed.")
    phone.locator("main").get_by_label("She asked us to stop").check()
    phone.locator("main").get_by_role("button", name="Close the case").click()
    expect(phone.locator(".messages")).to_contain_text("The case is closed.")
    case.refresh_from_db()
    assert case.status == "closed"
    phone.set_viewport_size({"width": 360, "height": 740})
    assert_fits_the_screen(phone)
