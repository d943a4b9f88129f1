"""From a narrative to the timeline in a real browser (issue 31): paste a story, see the
proposals beside their sentences, accept some, edit one, reject one; nothing is recorded
before a person confirms, and then the timeline and the duties follow."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Event
from qorgau.duties.models import Obligation
from qorgau.e2e.accessibility import axe_violations
from qorgau.e2e.conftest import assert_fits_the_screen, log_in
from qorgau.intake.models import Proposal

STORY = ("On 26 February 2024 he strangled her and threatened to kill her with a knife. "
         "The next day she reported it to the police, who refused to register the complaint.")


def test_paste_review_and_confirm(phone: Page, live_server: LiveServer, alice: User,
                                  case: Case) -> None:
    page = phone
    log_in(page, live_server, alice, home=True)
    page.goto(f"{live_server.url}{reverse('cases:detail', args=[case.reference])}")
    page.locator("nav.case-nav").get_by_role("link", name="Add from a narrative").click()
    assert not axe_violations(page)
    page.locator("textarea[name=text]").fill(STORY)
    page.locator("main form.narrative-form button[type=submit]").click()

    # The proposals, each beside its highlighted sentence; nothing on the timeline yet.
    rows = page.locator("li.proposal")
    expect(rows).to_have_count(5)
    expect(rows.first.locator("mark")).to_have_text(
        "On 26 February 2024 he strangled her and threatened to kill her with a knife.")
    assert not axe_violations(page)
    assert_fits_the_screen(page)
    assert not Event.objects.filter(case=case).exists()
    assert not Obligation.objects.filter(case=case).exists()
    ids = {p.data["kind"]: p.pk for p in Proposal.objects.filter(narrative__case=case)}

    # Edit one (the refusal came on 1 March, not the next day) and accept it.
    page.locator(f"input[name=start-{ids['police_refusal']}]").fill("01.03.2024")
    page.locator(f"button[name=accept][value='{ids['police_refusal']}']").click()
    expect(page.locator("ul.messages")).to_contain_text("1 event recorded on the timeline.")
    # Accept two together, reject one.
    page.locator(f"input[name=pick][value='{ids['strangulation']}']").check()
    page.locator(f"input[name=pick][value='{ids['police_report']}']").check()
    page.locator("button[name=bulk][value=accept]").click()
    expect(page.locator("ul.messages")).to_contain_text("2 events recorded on the timeline.")
    page.locator(f"button[name=reject][value='{ids['weapon']}']").click()
    expect(page.locator("ul.messages")).to_contain_text("1 proposal rejected.")
    expect(page.locator("li.proposal--accepted")).to_have_count(3)
    expect(page.locator("li.proposal--rejected")).to_have_count(1)
    expect(page.locator("li.proposal--pending")).to_have_count(1)  # the threat, undecided

    # The timeline: the accepted events, marked as from the narrative and confirmed.
    page.goto(f"{live_server.url}{reverse('cases:detail', args=[case.reference])}")
    timeline = page.locator("main")
    expect(timeline.locator("li.ev--superseded")).to_have_count(0)
    for kind in ("Strangulation", "Police refused to register"):
        expect(timeline).to_contain_text(kind)
    expect(timeline.locator(".ev__narrative").first).to_contain_text(
        "From the narrative (exhibit 1), confirmed by Alice")
    kinds = sorted(Event.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == ["police_refusal", "police_report", "strangulation"]
    assert Event.objects.get(case=case, kind="police_refusal").when_start == "2024-03-01"

    # The duties follow, as for any event: those her report to the police gave rise to.
    report = Event.objects.get(case=case, kind="police_report")
    assert Obligation.objects.filter(case=case, trigger=report).exists()
    page.goto(f"{live_server.url}{reverse('duties:case', args=[case.reference])}")
    expect(page.locator("li.duty").first).to_be_visible()
    expect(page.locator("li.duty .duty__facts").first).to_contain_text(
        f"#{report.number} Report to police")
