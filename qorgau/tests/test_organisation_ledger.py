"""The organisation's ledger (issues 27 and 28): every change of its people and settings is
chained; `verify` catches a membership, setting or case assignment changed behind the
services' back."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.urls import reverse

from qorgau.accounts import orgledger, services
from qorgau.accounts.models import Membership, Organisation, OrganisationEntry
from qorgau.cases.models import CaseAssignment
from qorgau.cases.verification import verify_all
from qorgau.retention import services as retention
from qorgau.retention.models import RetentionPolicy


def org_problem(org: Organisation) -> str | None:
    [report] = [r for r in orgledger.verify_all() if r.organisation_id == org.pk]
    return report.problem.reason if report.problem else None


def case_problem(case) -> str | None:
    [report] = [r for r in verify_all() if r.case_id == case.pk]
    return report.problem.reason if report.problem else None


def verify_output() -> tuple[bool, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify", stdout=out, stderr=err)
    except CommandError:
        return False, err.getvalue()
    return True, out.getvalue()


@pytest.fixture
def changed(org, personas):
    """An organisation whose people and settings changed through the services."""
    admin = personas["admin"]
    newcomer = services.invite(org, admin, "new@tcc.test", "lawyer")
    services.set_role(org, admin, newcomer, "caseworker")
    services.set_discreet(org, True, by=admin)
    services.set_shares_aggregates(org, True, by=admin)
    retention.set_policy(org, 24, by=admin)
    return org, admin, newcomer


def test_changes_are_chained_and_verify(changed, case):
    org, admin, newcomer = changed
    assert org_problem(org) is None
    ok, text = verify_output()
    assert ok, text
    organisations = Organisation.objects.count()
    entries = OrganisationEntry.objects.count()
    assert f"{organisations} organisations, {entries} organisation ledger entries" in text
    actions = list(OrganisationEntry.objects.filter(organisation=org).order_by("seq")
                   .values_list("action", "subject"))
    assert actions[0] == ("organisation.open", "organisation")
    by_admin = list(OrganisationEntry.objects.filter(organisation=org, actor=admin)
                    .order_by("seq").values_list("action", "subject"))
    assert by_admin == [("membership.set", f"membership:{newcomer.pk}")] * 2 + [
        ("setting.set", "organisation")] * 2 + [("setting.set", "setting:retention_months")]


def test_the_ledger_rejects_update_and_delete(changed):
    org = changed[0]
    for attempt in (lambda q: q.update(action="x"), lambda q: q.delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt(OrganisationEntry.objects.filter(organisation=org))


@pytest.mark.parametrize("tamper, found", [
    # an insider makes herself a member, raises her role, or removes a colleague
    ("insert", "exists without a ledger entry"),
    ("change", "differs from what the ledger recorded"),
    ("delete", "is in the ledger but missing"),
    ("reactivate", "differs from what the ledger recorded"),
])
def test_membership_tampering_is_detected(changed, tamper, found):
    org, admin, newcomer = changed
    if tamper == "insert":
        insider = services.create_user("insider@tcc.test", None)
        Membership.objects.create(user=insider, organisation=org, role="supervisor")
    elif tamper == "change":
        Membership.objects.filter(user=newcomer, organisation=org).update(role="admin")
    elif tamper == "delete":
        Membership.objects.filter(user=newcomer, organisation=org).delete()
    else:
        services.deactivate(org, admin, newcomer)
        type(newcomer).objects.filter(pk=newcomer.pk).update(is_active=True)
    assert found in (org_problem(org) or "")
    ok, text = verify_output()
    assert not ok and f"organisation {org.slug}: BROKEN" in text and "membership:" in text


@pytest.mark.parametrize("tamper", ["shares", "discreet", "retention", "retention_removed"])
def test_setting_tampering_is_detected(changed, other_org, tamper):
    org = changed[0]
    if tamper == "shares":
        Organisation.objects.filter(pk=org.pk).update(shares_aggregates=False)
    elif tamper == "discreet":
        Organisation.objects.filter(pk=org.pk).update(discreet=False)
    elif tamper == "retention":
        RetentionPolicy.objects.filter(organisation=org).update(months=1)
    else:
        RetentionPolicy.objects.filter(organisation=org).delete()
    assert org_problem(org) is not None
    assert org_problem(other_org) is None  # the other organisation is untouched
    RetentionPolicy.objects.create(organisation=other_org, months=2)
    assert "setting:retention_months exists without a ledger entry" in (
        org_problem(other_org) or "")


@pytest.mark.parametrize("tamper, found", [
    ("insert", "exists without a ledger entry"),  # an insider grants herself the case
    ("change", "differs from what the ledger recorded"),
    ("delete", "is in the ledger but missing"),
])
def test_assignment_tampering_is_detected(case, org, alice, carol, tamper, found):
    from qorgau.cases import services as cases

    cases.assign(case, carol, alice, "read")
    assert case_problem(case) is None
    if tamper == "insert":
        insider = services.create_user("insider@tcc.test", None)
        services.add_member(insider, org, "caseworker")  # a member, not of this case
        CaseAssignment.objects.create(case=case, user=insider, access="write")
    elif tamper == "change":
        CaseAssignment.objects.filter(case=case, user=carol).update(access="write")
    else:
        CaseAssignment.objects.filter(case=case, user=carol).delete()
    assert found in (case_problem(case) or "")


def test_administrators_see_the_ledger_and_set_retention(client, changed, personas, alice):
    org, admin, newcomer = changed
    client.force_login(admin)
    url = reverse("accounts:organisation", args=[org.slug])
    page = client.get(url).content.decode()
    assert "The organisation's ledger" in page
    assert "retention period set to 24 months" in page
    assert "anonymised aggregates shared with monitors" in page
    assert f"{newcomer.email}: role changed to Caseworker" in page
    policy_url = reverse("retention:organisation", args=[org.slug])
    response = client.post(policy_url, {"months": "0"})
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(organisation=org).months == 24  # refused: too short
    client.post(policy_url, {"months": ""})  # back to the installation's default
    assert not RetentionPolicy.objects.filter(organisation=org).exists()
    assert "retention period back to the installation" in client.get(url).content.decode()
    assert org_problem(org) is None
    client.force_login(alice)  # a caseworker: refused; an outsider: not found
    assert client.post(policy_url, {"months": "12"}).status_code == 403
    other = reverse("retention:organisation", args=["other"])
    assert client.post(other, {"months": "12"}).status_code == 404
    assert not RetentionPolicy.objects.exists()


def test_administrators_edit_their_directory_entry(client, org, personas, alice):
    from qorgau.referrals.models import Provider

    entry = Provider.objects.create(name="TCC shelter", kind="shelter", region="kz-west",
                                    services=["shelter"], capacity=5, places_available=4,
                                    organisation=org)
    admin = personas["admin"]
    client.force_login(admin)
    url = reverse("accounts:organisation", args=[org.slug])
    assert "In the service directory" in client.get(url).content.decode()
    target = reverse("referrals:profile", args=[org.slug, entry.pk])
    p = f"p{entry.pk}"
    posted = {f"{p}-services": ["shelter", "psychological"], f"{p}-capacity": "3",
              f"{p}-phone": "+7 7112 00 00 00"}
    assert client.post(target, posted).status_code == 302
    entry.refresh_from_db()
    assert (entry.services, entry.capacity, entry.places_available) == (
        ["shelter", "psychological"], 3, 3)
    note = OrganisationEntry.objects.filter(organisation=org).latest("seq")
    assert (note.action, note.actor, note.detail["fields"]) == (
        "note.directory.update", admin, ["services", "phone", "capacity"])
    assert "its entry in the service directory changed" in client.get(url).content.decode()
    assert org_problem(org) is None
    client.post(target, {f"{p}-services": ["nonsense"]})  # refused in words
    entry.refresh_from_db()
    assert entry.services == ["shelter", "psychological"]
    client.force_login(alice)  # a caseworker of the organisation: 403
    assert client.post(target, posted).status_code == 403
