"""One fact, however it is entered (issue 23), in a real browser: "Protection order breached"
with "reported to the police, orally" on the same page gives the police's duty to respond, and
the complaint letter names it."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.conftest import make_event
from qorgau.e2e.conftest import log_in


def test_a_breach_reported_on_its_own_page_starts_the_police_duty(
        phone: Page, live_server: LiveServer, alice: User, case: Case) -> None:
    page = phone
    make_event(case, alice, "order_issued", "2025-03-01", institution="police")
    log_in(page, live_server, alice)
    page.goto(f"{live_server.url}{reverse('cases:event_new', args=[case.reference])}")
    page.locator("select[name=kind]").select_option("order_breached")
    page.locator("input[name=when_start]").fill("2025-03-10")
    page.locator("select[name=source]").select_option("survivor")
    page.locator("select[name=reliability]").select_option("probable")
    page.locator("select[name=link_target_0]").select_option(label="#1 Protection order issued")
    page.locator("select[name=link_kind_0]").select_option("breach_of")
    page.locator("select[name=report_to]").select_option(label="The police")
    page.locator("select[name=report_mode]").select_option(label="Oral")
    page.locator("textarea[name=narrative]").fill("He came to her flat again; she told the "
                                                  "district officer.")
    page.get_by_role("button", name="Record the event", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("Event #2 recorded.")

    # On the timeline: the breach and its report, and the police's duty on the case page.
    main = page.locator("main")
    expect(main).to_contain_text("Report to police")
    expect(page.locator(".duties-panel")).to_contain_text(
        "Respond to the reported breach of the protective order")

    # The complaint names the breached duty.
    page.goto(f"{live_server.url}{reverse('duties:case', args=[case.reference])}")
    page.locator("section.escalate select[name=language]").first.select_option("en")
    page.get_by_role("button", name="Draft the complaint").first.click()
    letter = page.locator("textarea[name=body]")  # the draft, to check and edit
    expect(letter).to_have_value(re.compile(
        r"Respond to the reported breach of the protective order \(CoAO art\. 461\)\.\n"
        r"Duty bearer: Police\. Occasion: Report to police \(10 Mar 2025\)\."))
    # The letter states the facts by date, never by the case's internal event numbers.
    assert "event no." not in letter.input_value()
