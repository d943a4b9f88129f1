"""Referrals: made only under valid consent covering the data shared; moving through the
workflow with ledger entries, timeline events and steps; a provider that uses Qorgau sees
the granted part read-only, and loses it when the referral ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.consent import services as consent
from qorgau.consent.models import CaseShare
from qorgau.referrals import services
from qorgau.referrals.models import Provider, Referral


@pytest.fixture
def centre(db) -> Provider:
    services.load_demo_directory()
    return Provider.objects.get(name="Zhaiyk Crisis Centre (fictional)")


@pytest.fixture
def provider_in_qorgau(db, other_org) -> Provider:
    return Provider.objects.create(name="Other Centre's shelter", kind="shelter",
                                   region="kz-west", services=["shelter"], places_available=2,
                                   organisation=other_org)


def _refer(case, by, provider, grant, categories=("identity", "contact"), need="shelter"):
    return services.make_referral(case, by, provider=provider, need=need,
                                  grant_id=grant.pk if grant else None, categories=categories)


def test_a_referral_goes_through_the_workflow(case, alice, centre, consent_to):
    grant = consent_to(case, alice, "referral", categories=["identity", "contact"])
    referral = _refer(case, alice, centre, grant)
    assert referral.state == "made" and referral.grant == grant
    assert referral.categories == ["contact", "identity"]
    made = case.events.get(kind="referral_made")
    assert made.institution == "organisation"  # ours, so the police duty is untouched
    assert "Zhaiyk Crisis Centre" in made.narrative
    services.move(referral, alice, "accepted")
    services.move(referral, alice, "started")
    referral = services.move(referral, alice, "completed")
    assert referral.state == "completed"
    assert [s.state for s in referral.steps.all()] == ["made", "accepted", "started",
                                                       "completed"]
    accepted = case.events.get(kind="referral_accepted")
    assert accepted.institution == "shelter"
    assert accepted.links_out.get().target == made
    actions = list(LedgerEntry.objects.filter(case=case, subject=f"referral:{referral.pk}")
                   .values_list("action", flat=True))
    assert actions == ["referral.create"] + ["referral.update"] * 3
    assert verify_case(case.pk, case.reference).problem is None
    with pytest.raises(ValidationError, match="already completed"):
        services.move(referral, alice, "withdrawn", "too late")


def test_declined_needs_a_reason_and_is_on_the_timeline(case, alice, centre, consent_to):
    grant = consent_to(case, alice, "referral", categories=["identity"])
    referral = _refer(case, alice, centre, grant, categories=["identity"])
    with pytest.raises(ValidationError, match="Say why"):
        services.move(referral, alice, "declined", " ")
    services.move(referral, alice, "declined", "No places for a woman with three children")
    referral.refresh_from_db()
    assert referral.reason == "No places for a woman with three children"
    declined = case.events.get(kind="referral_declined")
    assert "No places" in declined.narrative
    with pytest.raises(ValidationError, match="cannot change any more"):
        services.move(referral, alice, "accepted")
    assert verify_case(case.pk, case.reference).problem is None


def test_no_consent_is_refused_plainly(case, alice, centre, consent_to):
    with pytest.raises(ValidationError, match="Choose the survivor's consent"):
        _refer(case, alice, centre, None)
    court = consent_to(case, alice, "court")
    with pytest.raises(consent.ConsentRequired, match="given for another purpose"):
        _refer(case, alice, centre, court)
    assert not Referral.objects.exists()
    assert not case.events.filter(kind="referral_made").exists()


def test_expired_revoked_or_too_narrow_consent_is_refused(case, alice, centre, consent_to):
    grant = consent_to(case, alice, "referral", categories=["identity"])
    with pytest.raises(consent.ConsentRequired, match="does not cover: Contact"):
        _refer(case, alice, centre, grant, categories=["identity", "contact"])
    with (time_machine.travel(grant.expires_at + timedelta(seconds=1)),
          pytest.raises(consent.ConsentRequired, match=f"consent no. {grant.pk} expired")):
        _refer(case, alice, centre, grant, categories=["identity"])
    consent.revoke_consent(grant, alice, "She withdrew it")
    with pytest.raises(consent.ConsentRequired, match="revoked consent no."):
        _refer(case, alice, centre, grant, categories=["identity"])
    assert not Referral.objects.exists()


def test_consent_to_another_recipient_is_refused(case, alice, centre, other_org,
                                                 provider_in_qorgau, consent_to, org):
    to_other = consent_to(case, alice, "referral", recipient_organisation=other_org)
    with pytest.raises(ValidationError, match="names another recipient"):
        _refer(case, alice, centre, to_other)
    third = type(other_org).objects.create(name="Third", slug="third", region="kz-west")
    to_third = consent_to(case, alice, "referral", recipient_organisation=third)
    with pytest.raises(consent.ConsentRequired, match="names another recipient"):
        _refer(case, alice, provider_in_qorgau, to_third)


def test_a_provider_that_does_not_offer_the_need_is_refused(case, alice, consent_to):
    services.load_demo_directory()
    legal = Provider.objects.get(kind="legal_aid")
    grant = consent_to(case, alice, "referral")
    with pytest.raises(ValidationError, match="does not offer this service"):
        _refer(case, alice, legal, grant, need="shelter")


def test_provider_in_qorgau_sees_granted_part_read_only_until_it_ends(
        client, case, alice, frank, survivor, provider_in_qorgau, other_org, consent_to):
    from qorgau.conftest import make_event
    make_event(case, alice, narrative="She was hit in the kitchen")
    grant = consent_to(case, alice, "referral", categories=["identity"],
                       recipient_organisation=other_org)
    referral = _refer(case, alice, provider_in_qorgau, grant, categories=["contact"])
    assert referral.categories == ["identity"]  # what the share shows: all the grant covers
    share = referral.share
    assert share is not None and share.organisation == other_org
    client.force_login(frank)
    page = client.get(reverse("shared:detail", args=[share.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert survivor.full_name in body
    assert "She was hit in the kitchen" not in body  # the timeline was not granted
    assert "<form" not in body.split("<main", 1)[-1].split("</main>", 1)[0]
    services.move(referral, alice, "withdrawn", "She chose another shelter")
    assert CaseShare.objects.get(pk=share.pk).withdrawn_at is not None
    assert client.get(reverse("shared:detail", args=[share.pk])).status_code == 404
    assert verify_case(case.pk, case.reference).problem is None


def test_erasure_removes_referrals(case, alice, carol, centre, consent_to):
    from django.db import transaction

    from qorgau.cases import erasure
    grant = consent_to(case, alice, "referral", categories=["identity"])
    services.move(_refer(case, alice, centre, grant, categories=["identity"]), alice,
                  "accepted")
    with transaction.atomic():
        counts = erasure.erase_records(case)
    assert counts["referrals.Referral"] == 1 and counts["referrals.ReferralStep"] == 2
    assert not Referral.objects.filter(case=case).exists()


def test_reference_case_police_referral_stays_breached(db):
    """The organisation refers her to a fictional crisis centre in Uralsk; the referral moves
    through the workflow, and the police's missing referral stays breached."""
    from qorgau.accounts.models import User
    from qorgau.cases.models import Case
    from qorgau.demo import loader, reference_case
    from qorgau.duties.models import Obligation

    loader.load_demo()
    ref = Case.objects.get(reference=reference_case.REFERENCE)
    caseworker = User.objects.get(email=loader.email_for("caseworker"))
    centre = Provider.objects.get(name="Zhaiyk Crisis Centre (fictional)", city="Uralsk")
    # she did not ask the police to refer her: the baseline's CEDAW duty, on every report
    before = sorted(Obligation.objects.filter(case=ref, family="intl.referral")
                    .values_list("status", flat=True))
    assert before == ["breached"] * 3
    grant = consent.grant_consent(
        ref, caseworker, purpose="referral", categories=["identity", "contact", "risk"],
        manner="written", given_on=timezone.localdate(),
        expires_at=timezone.now() + timedelta(days=90), recipient_name=centre.name)
    referral = services.make_referral(ref, caseworker, provider=centre, need="shelter",
                                      grant_id=grant.pk, categories=["identity", "contact"])
    for state in ("accepted", "started", "completed"):
        services.move(referral, caseworker, state)
    after = sorted(Obligation.objects.filter(case=ref, family="intl.referral")
                   .values_list("status", flat=True))
    assert after == ["breached"] * 3
    duties = services.duties_of([referral])[referral.pk]
    assert duties[services.ANSWER_RULE].status == "met"
    assert duties[services.FOLLOW_UP_RULE].status == "pending"
    services.follow_up(referral, caseworker, "She stayed nine days; safe at her sister's.")
    duties = services.duties_of([referral])[referral.pk]
    assert duties[services.FOLLOW_UP_RULE].status == "met"
    assert verify_case(ref.pk, ref.reference).problem is None


def test_a_full_shelter_is_refused_until_its_places_change(case, alice, provider_in_qorgau,
                                                           consent_to, other_org):
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org)
    provider_in_qorgau.places_available = 0
    provider_in_qorgau.save()
    with pytest.raises(ValidationError, match="has no place free"):
        _refer(case, alice, provider_in_qorgau, grant)
    assert not Referral.objects.filter(case=case).exists()
    services.update_places(provider_in_qorgau, alice, 1)
    provider_in_qorgau.refresh_from_db()
    assert _refer(case, alice, provider_in_qorgau, grant).state == "made"
