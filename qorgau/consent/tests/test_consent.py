"""Consent grants, their checks on every use, and read-only shares with another organisation."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.models import Organisation
from qorgau.bundles import services as bundles
from qorgau.bundles.models import Bundle
from qorgau.cases import services
from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import _person, make_event
from qorgau.consent import services as consent
from qorgau.consent.models import CaseShare, ConsentGrant
from qorgau.evidence import services as evidence
from qorgau.risk import services as risk


def entries(case, action):
    return list(LedgerEntry.objects.filter(case=case, action=action).order_by("seq"))


def clean(case):
    report = verify_case(case.pk, case.reference)
    assert report.problem is None, report.problem


# --- grants -----------------------------------------------------------------------------


def test_grant_is_recorded_encrypted_on_the_ledger_and_verified(case, alice, consent_to):
    grant = consent_to(case, alice, "court", note="Signed form in the paper file")
    (entry,) = entries(case, "consent.grant")
    assert entry.subject == f"consent:{grant.pk}" and entry.detail == {"purpose": "court"}
    assert grant.recorded_by == alice and grant.state(timezone.now()) == "valid"
    with connection.cursor() as cur:
        cur.execute("SELECT recipient_name, note FROM consent_consentgrant WHERE id = %s",
                    [grant.pk])
        raw = cur.fetchone()
    assert "Receiving service" not in raw[0] and "paper file" not in raw[1]
    clean(case)


def test_verify_detects_a_tampered_grant(case, alice, consent_to):
    grant = consent_to(case, alice, "court")
    clean(case)
    with connection.cursor() as cur:  # an administrator widens what she agreed to
        cur.execute("UPDATE consent_consentgrant SET categories = %s WHERE id = %s",
                    ['["contact", "duties", "evidence", "identity", "timeline"]', grant.pk])
    problem = verify_case(case.pk, case.reference).problem
    assert problem is not None and f"consent:{grant.pk}" in str(problem)


def test_verify_detects_an_undone_revocation(case, alice, consent_to):
    grant = consent_to(case, alice, "court")
    consent.revoke_consent(grant, alice, "She withdrew it")
    clean(case)
    with connection.cursor() as cur:
        cur.execute("UPDATE consent_consentgrant SET revoked_at = NULL WHERE id = %s",
                    [grant.pk])
    assert verify_case(case.pk, case.reference).problem is not None


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"recipient_name": ""}, "recipient_name", "Name the recipient"),
    ({"categories": []}, "categories", "at least one kind of data"),
    ({"categories": ["diary"]}, "categories", "from the list"),
    ({"purpose": "research"}, "purpose", "what the consent is for"),
    ({"manner": "nod"}, "manner", "in writing or orally"),
    ({"expires_days": -1}, "expires_at", "a day in the future"),
    ({"expires_days": 400}, "expires_at", "at most a year"),
    ({"given_in_days": 2}, "given_on", "in the future"),
])
def test_grant_refusals_are_plain_and_write_nothing(case, alice, values, field, message):
    now = timezone.now()
    data: dict[str, Any] = {"purpose": "court", "categories": ["timeline"], "manner": "oral",
            "given_on": timezone.localdate(now), "expires_at": now + timedelta(days=30),
            "recipient_name": "Court"}
    if "expires_days" in values:
        data["expires_at"] = now + timedelta(days=values.pop("expires_days"))
    if "given_in_days" in values:
        data["given_on"] += timedelta(days=values.pop("given_in_days"))
    data.update(values)
    before = LedgerEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        consent.grant_consent(case, alice, **data)
    assert field in exc.value.error_dict
    assert message in " ".join(exc.value.messages)
    assert ConsentGrant.objects.count() == 0 and LedgerEntry.objects.count() == before


def test_recipient_is_another_organisation_or_a_name_not_both(case, alice, org, other_org,
                                                              consent_to):
    with pytest.raises(ValidationError, match="another organisation"):
        consent_to(case, alice, "referral", recipient_organisation=org)
    with pytest.raises(ValidationError, match="not both"):
        consent_to(case, alice, "referral", recipient_organisation=other_org,
                   recipient_name="Also a name")


def test_revocation_takes_effect_at_once_and_is_on_the_ledger(case, alice, bob, consent_to):
    grant = consent_to(case, alice, "court")
    assert consent.require_grant(case, "court", ["timeline"]) == grant
    with pytest.raises(ValidationError, match="Say why"):
        consent.revoke_consent(grant, bob, "  ")
    consent.revoke_consent(grant, bob, "She asked us to stop on the phone")
    (entry,) = entries(case, "consent.revoke")
    assert entry.actor == bob and entry.subject == f"consent:{grant.pk}"
    with pytest.raises(consent.ConsentRequired, match=f"revoked consent no. {grant.pk}"):
        consent.require_grant(case, "court", ["timeline"])
    with pytest.raises(ValidationError, match="already revoked"):
        consent.revoke_consent(grant, bob, "again")
    clean(case)


def test_expiry_is_checked_against_the_clock(case, alice, consent_to):
    grant = consent_to(case, alice, "court")  # valid 90 days
    with time_machine.travel(timezone.now() + timedelta(days=89)):
        assert consent.require_grant(case, "court", ["evidence"], grant_id=grant.pk) == grant
    with time_machine.travel(grant.expires_at + timedelta(seconds=1)):
        with pytest.raises(consent.ConsentRequired, match=f"consent no. {grant.pk} expired"):
            consent.require_grant(case, "court", ["evidence"], grant_id=grant.pk)
        with pytest.raises(consent.ConsentRequired, match="expired"):
            consent.require_grant(case, "court", ["evidence"])


def test_require_grant_messages(case, alice, other_org, consent_to):
    with pytest.raises(consent.ConsentRequired, match="no consent from the survivor"):
        consent.require_grant(case, "court", ["timeline"])
    court = consent_to(case, alice, "court", categories=["timeline"])
    with pytest.raises(consent.ConsentRequired, match="another purpose"):
        consent.require_grant(case, "transfer", ["timeline"], grant_id=court.pk)
    with pytest.raises(consent.ConsentRequired, match="does not cover: Evidence"):
        consent.require_grant(case, "court", ["timeline", "evidence"])
    referral = consent_to(case, alice, "referral", recipient_organisation=other_org)
    third = Organisation.objects.create(name="Third", slug="third")
    with pytest.raises(consent.ConsentRequired, match="another recipient"):
        consent.require_grant(case, "referral", [], recipient_org=third,
                              grant_id=referral.pk)
    with pytest.raises(consent.ConsentRequired, match="no consent"):  # another case's grant
        consent.require_grant(case, "court", [], grant_id=court.pk + 1000)


# --- bundles --------------------------------------------------------------------------------


@pytest.fixture
def with_exhibit(case, alice, settings, tmp_path):
    from qorgau.evidence import storage

    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    make_event(case, alice, kind="police_report", start="2024-01-05")
    evidence.ingest(case, alice, evidence.Upload(io.BytesIO(b"A note.\n"), "note.txt"))
    yield case
    storage.evidence_storage.cache_clear()


def test_bundle_needs_a_court_grant_covering_it_and_names_it(with_exhibit, alice, consent_to):
    case = with_exhibit
    with pytest.raises(consent.ConsentRequired, match="no consent"):
        bundles.request_bundle(case, alice, "en", True)
    narrow = consent_to(case, alice, "court", categories=["timeline", "duties"])
    with pytest.raises(consent.ConsentRequired, match="does not cover: Evidence"):
        bundles.request_bundle(case, alice, "en", True, grant_id=narrow.pk)
    assert Bundle.objects.count() == 0
    grant = consent_to(case, alice, "court")
    bundle = bundles.request_bundle(case, alice, "en", True, grant_id=grant.pk)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    (created,) = entries(case, "bundle.create")
    assert created.detail == {"grant": grant.pk}
    bundles.open_bundle(bundle, alice).close()
    assert entries(case, "bundle.download")[0].detail["grant"] == grant.pk
    consent.revoke_consent(grant, alice, "She withdrew it")
    with pytest.raises(consent.ConsentRequired, match="revoked"):
        bundles.open_bundle(bundle, alice)
    assert len(entries(case, "bundle.download")) == 1
    clean(case)


def test_bundle_pages_refuse_in_plain_words(client, with_exhibit, alice, consent_to):
    case = with_exhibit
    client.force_login(alice)
    url = reverse("bundles:list", args=[case.reference])
    page = client.get(url).content.decode()
    assert "needs the survivor" in page and 'name="grant"' not in page
    grant = consent_to(case, alice, "court")
    assert 'name="grant"' in client.get(url).content.decode()
    response = client.post(url, {"language": "en", "grant": grant.pk})
    bundle = Bundle.objects.get(case=case)
    consent.revoke_consent(grant, alice, "She withdrew it")
    download = reverse("bundles:download", args=[case.reference, bundle.pk])
    refused = client.post(download, follow=True)
    assert refused.status_code == 200 and "revoked consent no." in refused.content.decode()
    refused = client.post(url, {"language": "en", "grant": grant.pk}, follow=True)
    assert "revoked consent no." in refused.content.decode()
    assert response.status_code == 302 and Bundle.objects.count() == 1


# --- shares ---------------------------------------------------------------------------------


@pytest.fixture
def shared(case, alice, survivor, other_org, frank, consent_to):
    """A case with a bit of everything, shared under a referral grant to the other
    organisation (identity and timeline only)."""
    services.update_party(survivor, alice, phone="+7 701 555 0101", address="Hidden street 1")
    make_event(case, alice, narrative="He hit her in the kitchen.")
    make_event(case, alice, kind="self_harm", narrative="Restricted: hospital.")
    risk.record_assessment(case, alice, "qorgau-open", {})
    risk.save_safety_plan(case, alice, {"code_word": "Grandmother's cake"}, {})
    grant = consent_to(case, alice, "referral", categories=["identity", "timeline"],
                       recipient_organisation=other_org)
    share = consent.share_case(case, alice, grant.pk)
    return share


def test_share_needs_a_valid_referral_grant_to_a_qorgau_organisation(case, alice, other_org,
                                                                     consent_to):
    court = consent_to(case, alice, "court")
    with pytest.raises(consent.ConsentRequired, match="another purpose"):
        consent.share_case(case, alice, court.pk)
    outside = consent_to(case, alice, "referral")  # a recipient named in words only
    with pytest.raises(ValidationError, match="outside Qorgau"):
        consent.share_case(case, alice, outside.pk)
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org)
    share = consent.share_case(case, alice, grant.pk)
    with pytest.raises(ValidationError, match="already shared"):
        consent.share_case(case, alice, grant.pk)
    (entry,) = entries(case, "share.create")
    assert entry.detail == {"grant": grant.pk, "organisation": other_org.pk}
    assert share.organisation == other_org
    consent.revoke_consent(grant, alice, "She withdrew it")
    with pytest.raises(consent.ConsentRequired, match="revoked"):
        consent.share_case(case, alice, grant.pk)
    clean(case)


def test_recipient_sees_only_the_granted_categories(client, shared, frank):
    client.force_login(frank)
    listing = client.get(reverse("shared:list")).content.decode()
    assert shared.case.reference in listing
    response = client.get(reverse("shared:detail", args=[shared.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Zhanar Testbayeva" in page and "He hit her in the kitchen." in page
    for hidden in ("+7 701 555 0101", "Hidden street", "Restricted: hospital", "Self-harm",
                   "Grandmother", "Risk assessment", "Safety plan"):
        assert hidden not in page, hidden
    (view,) = entries(shared.case, "share.view")
    assert view.actor == frank and view.subject == f"share:{shared.pk}"
    assert view.detail == {"share": shared.pk, "grant": shared.grant_id,
                           "organisation": frank.memberships.get().organisation_id}
    clean(shared.case)


def test_revocation_closes_the_share_at_once(client, shared, alice, frank):
    client.force_login(frank)
    url = reverse("shared:detail", args=[shared.pk])
    assert client.get(url).status_code == 200
    consent.revoke_consent(shared.grant, alice, "She withdrew it")
    assert client.get(url).status_code == 404
    assert shared.case.reference not in client.get(reverse("shared:list")).content.decode()
    assert len(entries(shared.case, "share.view")) == 1


def test_expiry_and_withdrawal_close_the_share(client, shared, alice, frank):
    client.force_login(frank)
    url = reverse("shared:detail", args=[shared.pk])
    with time_machine.travel(shared.grant.expires_at + timedelta(seconds=1)):
        client.force_login(frank)  # the session itself would have expired by then
        assert client.get(url).status_code == 404
    client.force_login(frank)
    assert client.get(url).status_code == 200
    consent.withdraw_share(shared, alice)
    assert client.get(url).status_code == 404
    (entry,) = entries(shared.case, "share.withdraw")
    assert entry.detail["organisation"] == shared.organisation_id
    clean(shared.case)


def test_nobody_else_sees_a_shared_case(client, shared, alice, dave, other_org):
    monitor = _person("mona@other.test", other_org, "monitor")
    third_org = Organisation.objects.create(name="Third Centre", slug="third")
    stranger = _person("sam@third.test", third_org, "caseworker")
    url = reverse("shared:detail", args=[shared.pk])
    for user in (monitor, stranger, dave, alice):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert shared.case.reference not in client.get(reverse("shared:list")).content.decode()
    client.logout()
    assert client.get(url).status_code == 302
    assert entries(shared.case, "share.view") == []


def test_granted_risk_and_safety_plan_are_shown(client, case, alice, survivor, other_org,
                                                frank, consent_to):
    risk.record_assessment(case, alice, "qorgau-open", {})
    risk.save_safety_plan(case, alice, {"code_word": "Grandmother's cake"}, {})
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org,
                       categories=["risk", "safety_plan", "timeline"])
    share = consent.share_case(case, alice, grant.pk)
    client.force_login(frank)
    page = client.get(reverse("shared:detail", args=[share.pk])).content.decode()
    assert "Grandmother" in page and "qorgau-open" in page
    assert "Zhanar Testbayeva" not in page  # identity not granted


# --- the case's Consent page ----------------------------------------------------------------


def test_consent_page_records_revokes_and_shares(client, case, alice, other_org):
    client.force_login(alice)
    url = reverse("consent:case", args=[case.reference])
    assert client.get(url).status_code == 200
    assert entries(case, "case.view")[-1].detail == {"page": "consent"}
    today = timezone.localdate()
    form = {"purpose": "referral", "categories": ["identity", "timeline"],
            "recipient_organisation": other_org.pk, "manner": "oral", "witnessed": "on",
            "given_on": today.isoformat(),
            "valid_until": (today + timedelta(days=500)).isoformat()}
    page = client.post(url, form).content.decode()
    assert "at most a year" in page and ConsentGrant.objects.count() == 0
    form["valid_until"] = (today + timedelta(days=30)).isoformat()
    assert "This field is required" in client.post(
        url, {**form, "witnessed": ""}).content.decode()
    assert client.post(url, form).status_code == 302
    grant = ConsentGrant.objects.get()
    assert grant.recorded_by == alice and grant.categories == ["identity", "timeline"]
    assert timezone.localtime(grant.expires_at).date() == today + timedelta(days=31)
    page = client.get(url).content.decode()
    assert "Valid" in page and "Share read-only with Other Centre" in page
    client.post(reverse("consent:share", args=[case.reference, grant.pk]))
    share = CaseShare.objects.get()
    page = client.post(reverse("consent:revoke", args=[case.reference, grant.pk]),
                       {"reason": ""}, follow=True).content.decode()
    assert "Say why" in page
    client.post(reverse("consent:revoke", args=[case.reference, grant.pk]),
                {"reason": "She changed her mind"})
    page = client.get(url).content.decode()
    assert "Revoked" in page and "no longer valid" in page
    client.post(reverse("consent:withdraw", args=[case.reference, share.pk]))
    share.refresh_from_db()
    assert share.withdrawn_at is not None
    clean(case)


def test_consent_writes_need_write_access(client, case, alice, dave, consent_to):
    services.assign(case, dave, alice, access="read")
    grant = consent_to(case, alice, "court")
    client.force_login(dave)
    assert client.get(reverse("consent:case", args=[case.reference])).status_code == 200
    assert client.post(reverse("consent:revoke", args=[case.reference, grant.pk]),
                       {"reason": "x"}).status_code == 403
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_verify_passes_after_everything(client, shared, alice, frank, consent_to):
    client.force_login(frank)
    client.get(reverse("shared:detail", args=[shared.pk]))
    consent.withdraw_share(shared, alice)
    consent.revoke_consent(shared.grant, alice, "Done")
    consent_to(shared.case, alice, "court")
    clean(shared.case)


def test_shared_evidence_leaves_out_exhibits_of_restricted_events(client, with_exhibit, alice,
                                                                  other_org, frank,
                                                                  consent_to):
    case = with_exhibit
    hidden_event = make_event(case, alice, kind="self_harm")
    evidence.ingest(case, alice, evidence.Upload(io.BytesIO(b"Hospital letter.\n"),
                                                 "letter.txt", event=hidden_event))
    grant = consent_to(case, alice, "referral", recipient_organisation=other_org,
                       categories=["evidence", "duties"])
    share = consent.share_case(case, alice, grant.pk)
    client.force_login(frank)
    page = client.get(reverse("shared:detail", args=[share.pk])).content.decode()
    assert hashlib.sha256(b"A note.\n").hexdigest() in page
    assert hashlib.sha256(b"Hospital letter.\n").hexdigest() not in page
    assert "Police" in page or "police" in page  # the breached duty of the police report
