"""Referral duties from the profiles, and providers answering in Qorgau themselves.

A referral the organisation makes triggers two duties: the provider's answer within 3 days
(met by acceptance or a reasoned refusal, moot if she withdraws) and the organisation's own
follow-up with her within 14 days. A provider whose organisation uses Qorgau answers from its
own inbox; each answer lands on the referring organisation's ledger and timeline.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.services import add_member
from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event
from qorgau.consent import services as consent
from qorgau.duties.engine import BREACHED, MET, NOT_APPLICABLE, PENDING, current_status
from qorgau.duties.models import Obligation
from qorgau.referrals import services
from qorgau.referrals.models import Provider, Referral

ANSWER, FOLLOW_UP = services.ANSWER_RULE, services.FOLLOW_UP_RULE


@pytest.fixture
def partner(db, other_org) -> Provider:
    return Provider.objects.create(name="Partner crisis centre", kind="crisis_centre",
                                   region="kz-west", services=["psychological", "legal"],
                                   organisation=other_org)


@pytest.fixture
def referral(case, alice, partner, other_org, consent_to) -> Referral:
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org,
                       categories=["identity", "contact"])
    return services.make_referral(case, alice, provider=partner, need="psychological",
                                  grant_id=grant.pk)


def _duty(referral: Referral, rule: str) -> Obligation:
    return services.duties_of([referral])[referral.pk][rule]


def _status(referral: Referral, rule: str, days_later: int = 0) -> str:
    o = _duty(referral, rule)
    return current_status(o.status, o.due_latest, timezone.localdate()
                          + timedelta(days=days_later))


def test_an_unanswered_referral_becomes_the_providers_overdue_duty(referral):
    answer = _duty(referral, ANSWER)
    assert answer.duty_bearer == "service_provider" and answer.status == PENDING
    assert answer.due_latest == timezone.localdate() + timedelta(days=3)
    assert not answer.confirmed  # a practice standard, shown as unconfirmed
    assert _status(referral, ANSWER, 3) == PENDING
    assert _status(referral, ANSWER, 4) == BREACHED


def test_the_overdue_answer_is_on_needs_action(client, referral, alice):
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        client.force_login(alice)
        page = client.get(reverse("duties:needs_action")).content.decode()
        assert "Answer the referral" in page
        case_page = client.get(reverse("referrals:case", args=[referral.case.reference]))
        assert "Provider&#x27;s answer" in case_page.content.decode()
        assert "overdue since" in case_page.content.decode()


def test_an_answer_or_a_withdrawal_settles_the_providers_duty(case, alice, frank, referral,
                                                               partner, consent_to, other_org):
    services.answer(referral, frank, "declined", "No psychologist until January")
    assert _duty(referral, ANSWER).status == MET
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org)
    second = services.make_referral(case, alice, provider=partner, need="legal",
                                    grant_id=grant.pk)
    services.move(second, alice, "withdrawn", "She asked to wait")
    assert _duty(second, ANSWER).status == NOT_APPLICABLE
    assert _duty(second, FOLLOW_UP).status == MET  # she told us: that is the follow-up


def test_a_late_answer_is_met_late(referral, frank):
    with time_machine.travel(timezone.now() + timedelta(days=6), tick=False):
        services.answer(referral, frank, "accepted")
    answer = _duty(referral, ANSWER)
    assert answer.status == MET and answer.late


def test_the_organisation_follows_up_with_her(referral, alice):
    assert _duty(referral, FOLLOW_UP).duty_bearer == "organisation"
    assert _status(referral, FOLLOW_UP, 15) == BREACHED
    with pytest.raises(ValidationError, match="did she receive the service"):
        services.follow_up(referral, alice, "  ")
    event = services.follow_up(referral, alice, "She saw the psychologist twice; feels safer.")
    assert event.kind == "referral_follow_up" and event.institution == "organisation"
    assert "feels safer" in event.narrative
    assert _duty(referral, FOLLOW_UP).status == MET
    assert verify_case(referral.case_id, referral.case.reference).problem is None


def test_follow_up_through_the_page(client, referral, alice, bob):
    url = reverse("referrals:follow_up", args=[referral.case.reference, referral.pk])
    client.force_login(alice)
    before = LedgerEntry.objects.filter(case=referral.case).count()
    client.post(url, {"note": ""})
    assert LedgerEntry.objects.filter(case=referral.case).count() == before  # refused
    response = client.post(url, {"note": "Called her: she started counselling."}, follow=True)
    assert "Follow-up on referral no." in response.content.decode()
    assert _duty(referral, FOLLOW_UP).status == MET


def test_the_provider_answers_in_its_own_inbox(client, referral, frank, alice):
    client.force_login(frank)
    inbox = client.get(reverse("referrals:incoming")).content.decode()
    assert "Test Crisis Centre" in inbox  # who referred her
    assert reverse("shared:detail", args=[referral.share_id]) in inbox
    assert "Provider&#x27;s answer" in inbox and "due by" in inbox
    url = reverse("referrals:answer", args=[referral.pk])
    response = client.post(url, {"state": "declined", "reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == "made"
    for state in ("accepted", "started", "completed"):
        client.post(url, {"state": state})
    referral.refresh_from_db()
    assert referral.state == "completed"
    entries = LedgerEntry.objects.filter(case=referral.case, action="referral.update")
    assert {e.actor_id for e in entries} == {frank.pk}
    assert all(e.detail["by_provider"] for e in entries)
    kinds = list(referral.case.events.filter(recorded_by=frank)
                 .values_list("kind", flat=True).order_by("number"))
    assert kinds == ["referral_accepted", "service_started", "service_completed"]
    assert _duty(referral, ANSWER).status == MET
    # The referral ended: the share closed, and the inbox keeps only the referral's state.
    inbox = client.get(reverse("referrals:incoming")).content.decode()
    assert reverse("shared:detail", args=[referral.share_id]) not in inbox
    assert "no longer shared" in inbox
    assert verify_case(referral.case_id, referral.case.reference).problem is None


def test_the_provider_cannot_record_her_withdrawal(referral, frank):
    with pytest.raises(ValidationError, match="Only the survivor's caseworkers"):
        services.answer(referral, frank, "withdrawn", "She did not come")
    referral.refresh_from_db()
    assert referral.state == "made"


def test_after_her_consent_is_revoked_the_provider_can_only_decline(client, referral, frank,
                                                                    alice):
    consent.revoke_consent(referral.grant, alice, "She withdrew it")
    with pytest.raises(ValidationError, match="revoked consent no.*can only be declined"):
        services.answer(referral, frank, "accepted")
    referral.refresh_from_db()
    assert referral.state == "made"
    client.force_login(frank)
    inbox = client.get(reverse("referrals:incoming")).content.decode()
    assert reverse("shared:detail", args=[referral.share_id]) not in inbox
    assert "no longer shared" in inbox
    url = reverse("referrals:answer", args=[referral.pk])
    refused = client.post(url, {"state": "accepted"}, follow=True).content.decode()
    assert "can only be declined" in refused
    services.answer(referral, frank, "declined", "Her consent was revoked")
    referral.refresh_from_db()
    assert referral.state == "declined"


def test_an_expired_consent_stops_the_provider_moving_on(referral, frank):
    services.answer(referral, frank, "accepted")
    with time_machine.travel(referral.grant.expires_at + timedelta(days=1)), \
            pytest.raises(ValidationError, match="expired"):
        services.answer(referral, frank, "started")
    referral.refresh_from_db()
    assert referral.state == "accepted"


def test_only_the_providers_own_people_answer(client, referral, alice, carol, erin, dave,
                                               other_org):
    with pytest.raises(ValidationError, match="provider's own case workers"):
        services.answer(referral, alice, "accepted")
    url = reverse("referrals:answer", args=[referral.pk])
    for user in (alice, carol, erin, dave):  # referrers, a monitor, an unassigned colleague
        client.force_login(user)
        assert client.post(url, {"state": "accepted"}).status_code == 404
        assert "Partner crisis centre" not in client.get(
            reverse("referrals:incoming")).content.decode()
    referral.refresh_from_db()
    assert referral.state == "made"


def test_a_monitor_of_the_provider_sees_no_referral(client, referral, other_org):
    from qorgau.accounts.services import create_user
    from qorgau.conftest import PASSWORD

    monitor = create_user("mona@other.test", PASSWORD)
    add_member(monitor, other_org, "monitor")
    client.force_login(monitor)
    assert "Partner crisis centre" not in client.get(
        reverse("referrals:incoming")).content.decode()
    assert client.post(reverse("referrals:answer", args=[referral.pk]),
                       {"state": "accepted"}).status_code == 404


def test_the_police_duty_to_refer_is_met_by_a_police_referral(case, alice):
    report = make_event(case, alice, kind="police_report", start="2024-03-01",
                        attributes={"referral_requested": True})
    make_event(case, alice, kind="referral_made", start="2024-03-02", institution="police",
               links=[(report, "responds_to")])
    police = Obligation.objects.get(case=case, family="kz.referral")  # on her request
    assert police.status == MET and police.duty_bearer == "police"
