"""A case transferred to another organisation under her transfer consent (issue 27): offered,
accepted (the whole case moves, its ledger continues, the sender keeps a tombstone), declined,
or cancelled by revoking the consent; verify passes for the case and both organisations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from qorgau.accounts import orgledger
from qorgau.accounts.services import add_member, create_user
from qorgau.cases.models import Case, CaseAssignment, LedgerEntry
from qorgau.conftest import make_event
from qorgau.consent import services as consent
from qorgau.consent import transfers
from qorgau.consent.models import CaseTransfer


@pytest.fixture
def receiving(other_org):
    """The receiving centre's supervisor and a caseworker."""
    boss = create_user("boss@other.test", None)
    add_member(boss, other_org, "supervisor")
    worker = create_user("worker@other.test", None)
    add_member(worker, other_org, "caseworker")
    return boss, worker


def verified() -> str:
    out = StringIO()
    call_command("verify", stdout=out)
    return out.getvalue()


def test_accepted_the_case_moves_whole(client, case, alice, carol, other_org, frank,
                                       receiving, consent_to):
    boss, worker = receiving
    make_event(case, alice, kind="police_report", start="2024-01-05", narrative="beaten")
    entries_before = LedgerEntry.objects.filter(case=case).count()
    grant = consent_to(case, alice, "transfer", recipient_organisation=other_org)
    client.force_login(alice)
    response = client.post(reverse("consent:transfer", args=[case.reference, grant.pk]))
    assert response.status_code == 302
    offer = CaseTransfer.objects.get(case=case)
    assert offer.status == "pending"
    assert "Transfers to another organisation" in client.get(
        reverse("consent:case", args=[case.reference])).content.decode()
    # the receiving centre's caseworker cannot answer (404); its supervisor sees the offer
    client.force_login(worker)
    assert client.post(reverse("shared:transfer_accept", args=[offer.pk])).status_code == 404
    client.force_login(boss)
    page = client.get(reverse("shared:transfers")).content.decode()
    assert f"Case {case.reference} from {case.organisation.name}" in page
    client.post(reverse("shared:transfer_accept", args=[offer.pk]),
                {"assignee": str(worker.pk)})

    case.refresh_from_db()
    assert case.organisation_id == other_org.pk
    assert list(CaseAssignment.objects.filter(case=case).values_list("user", "access")) == [
        (worker.pk, "write")]
    # the same chain, continued: nothing before the move was rewritten
    assert LedgerEntry.objects.filter(case=case).count() > entries_before
    assert LedgerEntry.objects.filter(case=case, action="case.move").get().detail == {
        "transfer": offer.pk, "grant": grant.pk, "from": carol.memberships.get().organisation_id}
    client.force_login(alice)  # the sender's people lose it at once...
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404
    tombstone = client.get(reverse("shared:transfers")).content.decode()
    assert f"Case {case.reference} to {other_org.name}" in tombstone  # ...and keep this
    client.force_login(worker)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    # both organisations' ledgers note it; verify passes for the case and both
    for org_id in (offer.sender_id, offer.receiver_id):
        notes = [a for a, in org_entries(org_id)]
        assert "note.transfer.offer" in notes and "note.transfer.accept" in notes
    text = verified()
    assert "0 broken" in text


def org_entries(org_id: int) -> list[tuple[str]]:
    from qorgau.accounts.models import OrganisationEntry

    return list(OrganisationEntry.objects.filter(organisation_id=org_id).values_list("action"))


def test_declined_the_case_stays(case, alice, other_org, receiving, consent_to):
    boss, _worker = receiving
    grant = consent_to(case, alice, "transfer", recipient_organisation=other_org)
    offer = transfers.offer(case, alice, grant.pk)
    with pytest.raises(ValidationError, match="already waiting"):
        transfers.offer(case, alice, grant.pk)
    with pytest.raises(ValidationError, match="Say why"):
        transfers.decline(offer.pk, boss, "  ")
    transfers.decline(offer.pk, boss, "No place for her in our shelter")
    case.refresh_from_db()
    assert case.organisation_id != other_org.pk
    offer.refresh_from_db()
    assert (offer.status, offer.reason) == ("declined", "No place for her in our shelter")
    with pytest.raises(ValidationError, match="already answered"):
        transfers.accept(offer.pk, boss)
    assert "0 broken" in verified()


def test_revoking_her_consent_cancels_the_offer(case, alice, other_org, receiving, consent_to):
    boss, _worker = receiving
    grant = consent_to(case, alice, "transfer", recipient_organisation=other_org)
    offer = transfers.offer(case, alice, grant.pk)
    consent.revoke_consent(grant, alice, "She changed her mind on the phone")
    offer.refresh_from_db()
    assert offer.status == "cancelled" and "revoked" in offer.reason
    with pytest.raises(ValidationError, match="already answered"):
        transfers.accept(offer.pk, boss)
    assert not transfers.incoming_for(boss).exists()
    case.refresh_from_db()
    assert case.organisation_id != other_org.pk
    assert "0 broken" in verified()


def test_what_is_refused(case, alice, dave, other_org, receiving, consent_to, frank):
    boss, _worker = receiving
    referral = consent_to(case, alice, "referral", recipient_organisation=other_org)
    with pytest.raises(ValidationError):  # not a transfer consent
        transfers.offer(case, alice, referral.pk)
    outside = consent_to(case, alice, "transfer")
    with pytest.raises(ValidationError, match="outside Qorgau"):
        transfers.offer(case, alice, outside.pk)
    grant = consent_to(case, alice, "transfer", recipient_organisation=other_org)
    offer = transfers.offer(case, alice, grant.pk)
    for stranger in (dave, frank, alice):  # no decider of the receiving organisation
        with pytest.raises(Http404):
            transfers.accept(offer.pk, stranger)
    with pytest.raises(ValidationError, match="colleague of your organisation"):
        transfers.accept(offer.pk, boss, assignee=alice)
    transfers.cancel(case, grant.pk, alice)
    offer.refresh_from_db()
    assert offer.status == "cancelled"
    assert Case.objects.get(pk=case.pk).organisation_id != other_org.pk
    assert [r.problem for r in orgledger.verify_all()] == [None, None]
