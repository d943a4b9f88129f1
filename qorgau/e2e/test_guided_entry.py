"""The caseworker's story in a real browser, in English, Russian and Kazakh (issue 26): a new
case, beatings "c. 2015–2024" reported in writing and answered with an order, then its breach
reported and left unanswered — through guided entry, counted in page loads and form entries —
ending with the police's failure on Today and in the drafted complaint."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.duties import profiles
from qorgau.duties import services as duties
from qorgau.e2e.conftest import log_in

MAX_LOADS, MAX_ENTRIES = 10, 30
STORY_TITLE = {"en": "What happened?", "ru": "Что произошло?", "kk": "Не болды?"}


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_breach_story_through_guided_entry(phone: Page, live_server: LiveServer,
                                               alice: User, language: str) -> None:
    page = phone
    User.objects.filter(pk=alice.pk).update(language=language)
    organisation = alice.memberships.get().organisation
    organisation.region = "KZ-27"
    organisation.save()
    log_in(page, live_server, alice, home=True)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                               "url": live_server.url}])
    loads: list[str] = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    entries = 0

    def fill(name: str, value: str) -> None:
        nonlocal entries
        page.locator(f"[name={name}]").fill(value)
        entries += 1

    def pick(name: str, value: str) -> None:
        nonlocal entries
        page.locator(f"select[name={name}]").select_option(value)
        entries += 1

    def tick(name: str) -> None:
        nonlocal entries
        page.locator(f"input[name={name}]").check()
        entries += 1

    def choose(name: str, value: str) -> None:
        nonlocal entries
        page.locator(f"input[name={name}][value={value}]").check()
        entries += 1

    def save() -> None:
        page.locator("main form.story button[type=submit]").click()
        expect(page.locator("ul.messages")).to_be_visible()

    # A new case: her name; the region is the organisation's.
    page.goto(f"{live_server.url}{reverse('cases:new')}")
    fill("survivor_name", "Aigerim Storyova")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(STORY_TITLE[language])
    case = Case.objects.latest("pk")
    assert case.region == "KZ-27"

    # Beatings over years, told to the police in writing, who issued an order.
    choose("what", "beat")
    fill("when", "c. 2015–2024")
    tick("repeated")
    choose("told", "police")
    fill("told_when", "12.03.2024")
    pick("told_how", "written")
    pick("answer", "order")
    fill("answer_when", "13.03.2024")
    save()
    # He broke the order; she told the police; they did nothing.
    choose("what", "breach")
    fill("when", "02.04.2024")
    choose("told", "police")
    pick("told_how", "oral")
    pick("answer", "nothing")
    save()

    # Today: the police's failure on this case, with one next step.
    page.locator(f"nav a[href='{reverse('duties:today')}']").click()
    row = page.locator(f"#failures-{case.reference}")
    profile = duties.profile_for(case)
    expect(row).to_contain_text(profile.bearer("police", language))
    row.locator("form button[type=submit]").first.click()
    title = profiles.text_in(profile.rule("kz.breach-response").title, language)
    expect(page.locator("main")).to_contain_text(title.split(" (")[0])

    assert len(loads) <= MAX_LOADS, loads
    assert entries <= MAX_ENTRIES, entries
    print(f"\n{language}: {len(loads)} page loads, {entries} form entries")

    # On the phone, the case page shows the risk and the failures in its first 800 px.
    page.goto(f"{live_server.url}{reverse('cases:detail', args=[case.reference])}")
    for item in (".case-summary .risk-level", ".case-summary .warning"):
        box = page.locator(item).first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, (item, box)

    # Deciding not to escalate takes the case off Today's list: it shrinks.
    page.goto(f"{live_server.url}{reverse('duties:today')}")
    row = page.locator(f"#failures-{case.reference}")
    row.locator("details summary").click()
    row.locator("input[name=reason]").fill("She asked us to wait until the hearing.")
    row.locator("details button[type=submit]").click()
    expect(page.locator(f"#failures-{case.reference}")).to_have_count(0)


def test_a_date_can_be_picked_on_a_calendar(phone: Page, live_server: LiveServer,
                                            alice: User, case: Case) -> None:
    """Beside the typed date, a calendar: the day picked is written in as dd.mm.yyyy."""
    log_in(phone, live_server, alice, home=True)
    phone.goto(f"{live_server.url}{reverse('cases:story', args=[case.reference])}")
    picker = phone.locator("input[name=when] + input[type=date]")
    expect(picker).to_have_attribute("aria-label", "Pick the date on a calendar")
    picker.fill("2024-03-12")
    expect(phone.locator("input[name=when]")).to_have_value("12.03.2024")
