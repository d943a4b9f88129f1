"""The retention page and the commands, against the real database."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from qorgau.cases import services
from qorgau.cases.models import Case, LedgerEntry, Party
from qorgau.cases.verification import verify_case
from qorgau.retention import policy
from qorgau.retention import services as retention
from qorgau.retention.models import LegalHold, RetentionClock
from qorgau.retention.tests.conftest import SURVIVOR_NAME


def page(case):
    return reverse("retention:case", args=[case.reference])


def after(day):
    """A moment on the day after `day`, local time."""
    moment = datetime.combine(day + timedelta(days=1), time(12), timezone.get_current_timezone())
    return time_machine.travel(moment, tick=False)


def test_assignees_see_the_page_but_only_managers_act(client, case, alice, carol, survivor):
    client.force_login(alice)
    html = client.get(page(case)).content.decode()
    assert "Retention period" in html and 'name="action"' not in html
    assert client.post(page(case), {"action": "close"}).status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert LedgerEntry.objects.filter(case=case, action="case.view",
                                      detail={"page": "retention"}).exists()
    client.force_login(carol)
    html = client.get(page(case)).content.decode()
    assert 'value="close"' in html and 'value="hold"' in html
    # The case page links here.
    assert page(case) in client.get(reverse("cases:detail", args=[case.reference])
                                    ).content.decode()


def test_the_case_page_cannot_mark_a_case_erased(client, case, alice, survivor):
    client.force_login(alice)
    client.post(reverse("cases:status", args=[case.reference]), {"status": "erased"})
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and Party.objects.filter(case=case).exists()


def test_close_hold_lift_and_reopen_through_the_page(client, case, carol):
    client.force_login(carol)
    assert client.post(page(case), {"action": "close"}).status_code == 302
    clock = RetentionClock.objects.get(case=case)
    html = client.get(page(case)).content.decode()
    assert clock.retain_until.strftime("%Y") in html and "Erase the case" in html
    # Not due, and a supervisor: told who may erase early, and no form that would refuse.
    assert "only an administrator can erase" in html and 'value="erase"' not in html

    response = client.post(page(case), {"action": "hold", "reason": "  "})
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    assert not LegalHold.objects.exists()
    client.post(page(case), {"action": "hold", "reason": "Appeal pending"})
    html = client.get(page(case)).content.decode()
    assert "Appeal pending" in html and "Erase the case" not in html  # held: no erasure

    client.post(page(case), {"action": "lift", "lift_reason": "Appeal decided"})
    assert LegalHold.objects.get().lifted_by == carol
    client.post(page(case), {"action": "reopen"})
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and not RetentionClock.objects.exists()
    response = client.post(page(case), {"action": "nonsense"})
    assert response.status_code == 302
    assert verify_case(case.pk, case.reference).problem is None


def test_erasure_needs_the_reference_typed_and_the_period_ended(client, case, alice, carol,
                                                                 survivor):
    services.set_status(case, alice, Case.Status.CLOSED)
    client.force_login(carol)
    response = client.post(page(case), {"action": "erase", "reason": policy.RETENTION_ENDED,
                                        "confirm": "WRONG-REF"})
    assert "not the case&#x27;s reference" in response.content.decode()
    response = client.post(page(case), {"action": "erase", "reason": policy.RETENTION_ENDED,
                                        "confirm": case.reference.lower()})
    assert response.status_code == 200 and "kept until" in response.content.decode()
    assert Party.objects.filter(case=case).exists()

    with after(RetentionClock.objects.get(case=case).retain_until):
        client.force_login(carol)  # seven years later: a new session
        response = client.post(page(case), {"action": "erase",
                                            "reason": policy.RETENTION_ENDED,
                                            "confirm": case.reference})
        assert response.status_code == 302 and response["Location"] == reverse("cases:list")
        listing = client.get(reverse("cases:list"), follow=True).content.decode()
    assert f"Case {case.reference} is erased" in listing
    case.refresh_from_db()
    assert case.status == Case.Status.ERASED and not Party.objects.filter(case=case).exists()


def test_an_admin_erases_early_at_the_survivors_request(client, case, alice, admin, survivor):
    services.set_status(case, alice, Case.Status.CLOSED)
    client.force_login(admin)
    html = client.get(page(case)).content.decode()
    assert "As an administrator you can erase the case now" in html
    assert 'value="erase"' in html and 'id="erase_reason"' in html
    response = client.post(page(case), {"action": "erase", "reason": policy.SURVIVOR_REQUEST,
                                        "confirm": case.reference})
    assert response.status_code == 302
    entry = LedgerEntry.objects.filter(case=case).latest("seq")
    assert entry.action == "case.erase" and entry.detail["early"] is True


@pytest.fixture
def erased(case, alice, carol, survivor):
    services.set_status(case, alice, Case.Status.CLOSED)
    retention.erase_case(case, carol, policy.RETENTION_ENDED,
                         today=RetentionClock.objects.get(case=case).retain_until
                         + timedelta(days=1))
    return case


def test_an_erased_case_is_on_no_page(client, erased, carol, alice):
    client.force_login(carol)
    for url in (reverse("cases:detail", args=[erased.reference]), page(erased),
                reverse("cases:ledger", args=[erased.reference]),
                reverse("evidence:list", args=[erased.reference])):
        assert client.get(url).status_code == 404, url
    for url, query in ((reverse("cases:list"), {}),
                       (reverse("cases:list"), {"q": erased.reference}),
                       (reverse("cases:list"), {"q": SURVIVOR_NAME}),
                       (reverse("cases:list"), {"status": "erased"}),
                       (reverse("duties:needs_action"), {})):
        # (the case search is sent by POST)
        send = client.post if "q" in query else client.get
        html = send(url, query).content.decode()
        # (a search box shows what was typed; no result may link to the case)
        assert reverse("cases:detail", args=[erased.reference]) not in html, (url, query)
    assert erased.reference not in client.get(reverse("cases:list")).content.decode()


# --- commands --------------------------------------------------------------------------------


def run(*args, **options):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


def test_retention_due_lists_only_what_is_due_and_not_held(case, org, alice, carol, survivor,
                                                            other_org):
    held = services.create_case(org, alice, region="kz-west")
    services.assign(held, carol, alice)
    still_open = services.create_case(org, alice, region="kz-west")
    for c in (case, held):
        services.set_status(c, alice, Case.Status.CLOSED)
    retention.set_hold(held, carol, "Investigation")
    until = RetentionClock.objects.get(case=case).retain_until
    with after(until - timedelta(days=1)):
        assert "0 cases due" in run("retention-due")
    with after(until):
        out = run("retention-due")
    assert case.reference in out and f"kept until {until.isoformat()}" in out
    assert held.reference not in out and still_open.reference not in out
    assert SURVIVOR_NAME not in out and "1 cases due" in out
    with after(until):
        assert "0 cases due" in run("retention-due", organisation=other_org.slug)


def test_erase_expired_is_a_dry_run_unless_confirmed(case, alice, survivor, other_org):
    services.set_status(case, alice, Case.Status.CLOSED)
    until = RetentionClock.objects.get(case=case).retain_until
    with after(until):
        out = run("erase-expired")
        assert f"would erase {case.reference}" in out and "nothing erased" in out
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED
        assert "0 cases erased" in run("erase-expired", confirm=True,
                                       organisation=other_org.slug)
        out = run("erase-expired", confirm=True)
    assert f"erased {case.reference}" in out and SURVIVOR_NAME not in out
    case.refresh_from_db()
    assert case.status == Case.Status.ERASED
    entry = LedgerEntry.objects.filter(case=case).latest("seq")
    assert entry.action == "case.erase" and entry.actor is None
    assert verify_case(case.pk, case.reference).problem is None
    with pytest.raises(CommandError, match="no organisation"):
        run("erase-expired", organisation="nope")


def test_retention_policy_command(org, settings):
    settings.QORGAU_RETENTION_MONTHS = 84
    assert "84 months (the instance default)" in run("retention-policy", org.slug)
    assert "60 months (its own)" in run("retention-policy", org.slug, months=60)
    with pytest.raises(CommandError):
        run("retention-policy", org.slug, months=0)
    assert "84 months (the instance default)" in run("retention-policy", org.slug,
                                                      default=True)
