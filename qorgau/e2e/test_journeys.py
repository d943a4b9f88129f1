"""A caseworker's whole journey in a real browser, as a person does it: every step through
the pages (no shortcut through the services), on a phone. A failing step leaves a
screenshot (pytest-playwright's --screenshot only-on-failure; see scripts/test.sh)."""

from __future__ import annotations

import hashlib
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.e2e.conftest import assert_fits_the_screen, log_in


def _event(page: Page, kind: str, day: str, narrative: str, *, institution: str = "",
           link: tuple[str, str] | None = None, **fields: str) -> None:
    page.locator("nav.case-nav").get_by_role("link", name="Add event", exact=True).click()
    page.locator("select[name=kind]").select_option(kind)
    page.locator("input[name=when_start]").fill(day)
    page.locator("select[name=source]").select_option("survivor")
    page.locator("select[name=reliability]").select_option("probable")
    if institution:
        page.locator("select[name=institution]").select_option(institution)
    for name, value in fields.items():
        page.locator(f"[name={name}]").fill(value)
    if link is not None:
        target, kind_of_link = link
        page.locator("select[name=link_target_0]").select_option(label=target)
        page.locator("select[name=link_kind_0]").select_option(kind_of_link)
    page.locator("textarea[name=narrative]").fill(narrative)
    page.get_by_role("button", name="Record the event", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("recorded")


def test_a_caseworker_takes_a_case_from_first_report_to_court_bundle(
        phone: Page, live_server: LiveServer, alice: User, tmp_path: Path) -> None:
    page = phone
    # 1. Log in with the password and the authenticator's code.
    log_in(page, live_server, alice)

    # 2. Open a case.
    page.get_by_role("link", name="New case").first.click()
    page.locator("select[name=region]").select_option("KZ-27")
    page.locator("input[name=survivor_name]").fill("Aigerim Journeyova")
    page.locator("main").get_by_role("button").last.click()
    # A new case opens on "What happened?"; this journey records events one by one instead.
    page.get_by_role("link", name="Done: see the case").click()
    expect(page.locator("h1")).to_contain_text("Case ")
    reference = page.locator("h1").inner_text().split()[-1]
    case = Case.objects.get(reference=reference)
    assert_fits_the_screen(page)

    # 3. Incidents, a report to the police, an order, its breach (linked to the order).
    _event(page, "physical_assault", "2025-03-01", "He hit her in the kitchen.")
    _event(page, "threat_to_kill", "2025-03-02", "He said he would kill her.")
    _event(page, "police_report", "2025-03-03", "She reported both at the district police.",
           institution="police")
    _event(page, "order_issued", "2025-03-04", "Protective order for 30 days.",
           institution="police", order_number="PO-17")
    _event(page, "order_breached", "2025-03-10", "He came to her flat again.",
           link=("#4 Protection order issued", "breach_of"))
    _event(page, "police_report", "2025-03-10", "She called the police about the breach.",
           institution="police", link=("#5 Protection order breached", "related_to"))
    kinds = list(case.events.order_by("number").values_list("kind", flat=True))
    assert kinds == ["physical_assault", "threat_to_kill", "police_report", "order_issued",
                     "order_breached", "police_report"]
    breach = case.events.get(kind="order_breached")
    assert breach.links_out.get().target.kind == "order_issued"

    # 4. The breached duty on the case's duties page, and on Needs action.
    page.locator("nav.case-nav").get_by_role("link", name="Duties").click()
    breached = page.locator("li.duty--breached")
    expect(breached.first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Respond to the reported breach")
    page.get_by_role("link", name="Needs action").first.click()
    expect(page.locator("main")).to_contain_text(reference)
    expect(page.locator("main")).to_contain_text("overdue since")
    assert_fits_the_screen(page)

    # 5. The risk screen, then the safety plan.
    page.goto(f"{live_server.url}{reverse('risk:assess', args=[reference, 'qorgau-open'])}")
    for group in page.locator("fieldset").all():
        suggested = group.locator("input[value=confirmed]")
        if suggested.count():
            suggested.check()
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("main")).to_contain_text("Level")
    assert case.assessments.count() == 1
    page.goto(f"{live_server.url}{reverse('risk:plan', args=[reference])}")
    page.locator("textarea").first.fill("Code word with her sister: 'tea'.")
    page.get_by_role("button", name="Save the safety plan").click()
    expect(page.locator("ul.messages")).to_be_visible()
    expect(page.get_by_role("link", name="Print on one page")).to_be_visible()

    # 6. An exhibit: a photo's worth of bytes, uploaded through the form.
    page.locator("nav.case-nav").get_by_role("link", name="Evidence").click()
    original = b"Medical certificate no. 88, 2025-03-01.\n"
    upload: FilePayload = {"name": "certificate.txt", "mimeType": "text/plain",
                           "buffer": original}
    page.locator("input[name=file]").set_input_files(files=[upload])
    page.locator("input[name=title]").fill("Medical certificate")
    page.locator("main form").filter(has=page.locator("input[name=file]")).locator(
        "button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Medical certificate")
    expect(page.locator("main")).to_contain_text(hashlib.sha256(original).hexdigest()[:16])

    # 7. Her consent to a court bundle; build it; watch it finish; download it.
    page.locator("nav.case-nav").get_by_role("link", name="Consent").click()
    page.locator("select[name=purpose]").select_option("court")
    for box in page.locator("input[name=categories]").all():
        box.check()
    page.locator("input[name=recipient_name]").fill("Uralsk city court")
    page.locator("input[name=manner]").first.check()
    page.locator("input[name=witnessed]").check()
    today = timezone.localdate()
    page.locator("input[name=given_on]").fill(today.isoformat())
    page.locator("input[name=valid_until]").fill((today + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Record the consent").click()
    expect(page.locator("ul.messages")).to_be_visible()
    page.locator("nav.case-nav").get_by_role("link", name="Bundles").click()
    page.locator("select[name=language]").select_option("en")
    # The test server builds at once, inside the request (PDFs, signatures): give it time.
    page.get_by_role("button", name="Build a court bundle").click(timeout=60_000)
    expect(page.locator("#bundle-status")).to_contain_text("Ready", timeout=60_000)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the bundle").click()
    bundle = tmp_path / "bundle.zip"
    download_info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        sha = hashlib.sha256(original).hexdigest()
        assert archive.read(f"originals/001-{sha[:16]}.txt") == original
        assert any(n.endswith("manifest.json") for n in names)

    # 8. Russian, then Kazakh, and the choice stays.
    page.locator(".langs button[value=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("nav.site__nav")).to_contain_text("Мои дела")
    page.goto(f"{live_server.url}{reverse('cases:detail', args=[reference])}")
    expect(page.locator("h1")).to_contain_text("Дело")
    page.locator(".langs button[value=kk]").click()
    expect(page.locator("nav.site__nav")).to_contain_text("Менің істерім")

    # 9. Quick exit: the session ends and the case is out of reach.
    page.locator("#quick-exit button").click()
    page.wait_for_url(lambda url: not url.startswith(live_server.url))
    # The session is ended by a beacon sent as the page leaves, which may reach the server
    # after the next page is asked for: ask again for a few seconds, no longer.
    deadline = time.monotonic() + 10
    while True:
        page.goto(f"{live_server.url}{reverse('cases:detail', args=[reference])}")
        if reverse("account_login") in page.url or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert reverse("account_login") in page.url

    # Everything the pages did is on the case's ledger, and the chain verifies.
    assert LedgerEntry.objects.filter(case=case, action="bundle.download").exists()
    assert verify_case(case.pk, case.reference).problem is None


def test_a_rejected_form_keeps_what_was_typed(phone: Page, live_server: LiveServer,
                                              alice: User, case: Case) -> None:
    log_in(phone, live_server, alice)
    phone.goto(f"{live_server.url}{reverse('cases:event_new', args=[case.reference])}")
    phone.locator("select[name=kind]").select_option("stalking")
    phone.locator("input[name=when_start]").fill("2025-13-45")
    phone.locator("select[name=source]").select_option("witness")
    phone.locator("select[name=reliability]").select_option("possible")
    story = "He waited outside her work every evening for a week."
    phone.locator("textarea[name=narrative]").fill(story)
    phone.get_by_role("button", name="Record the event", exact=True).click()
    expect(phone.locator("main .errors, main .errorlist").first).to_be_visible()
    expect(phone.locator("textarea[name=narrative]")).to_have_value(story)
    expect(phone.locator("input[name=when_start]")).to_have_value("2025-13-45")
    expect(phone.locator("select[name=kind]")).to_have_value("stalking")
    expect(phone.locator("select[name=reliability]")).to_have_value("possible")
    assert not case.events.exists()
