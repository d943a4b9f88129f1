"""A case transferred to another organisation of this installation, under her consent.

The sender offers the whole case under a valid transfer grant naming the receiver; the
receiver's supervisors or administrators accept (the case moves: same timeline, same ledger
chain continued, the sender's people lose it at once, one of the receiver's holds it) or
decline; revoking the consent before acceptance cancels the offer. Each step is on the case's
ledger and, as a note, on both organisations' ledgers. Between installations the case file
does the same (docs/people.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts import orgledger
from qorgau.accounts.models import CASE_ROLES, Membership, Role, User
from qorgau.cases import services as case_services
from qorgau.cases.models import Case
from qorgau.consent import rules
from qorgau.consent.models import CaseTransfer, ConsentGrant

DECIDERS = (Role.SUPERVISOR, Role.ADMIN)  # who accepts or declines for the receiver


def subject(transfer: CaseTransfer) -> str:
    return f"transfer:{transfer.pk}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def transfer_record(t: CaseTransfer) -> dict[str, Any]:
    return {"id": t.pk, "case": t.case_id, "grant": t.grant_id, "sender": t.sender_id,
            "receiver": t.receiver_id, "status": t.status, "offered_by": t.offered_by_id,
            "offered_at": _iso(t.offered_at), "decided_by": t.decided_by_id,
            "decided_at": _iso(t.decided_at), "reason": t.reason}


def _write(t: CaseTransfer, by: User, action: str) -> None:
    """The step on the case's ledger and, as a note, on both organisations' ledgers."""
    detail = {"transfer": t.pk, "grant": t.grant_id, "sender": t.sender_id,
              "receiver": t.receiver_id}
    case_services.append(t.case, by, action, subject(t), transfer_record(t), detail)
    for org in (t.sender_id, t.receiver_id):
        orgledger.append(org, by, f"note.{action}", f"case:{t.case_id}",
                         detail={**detail, "case": t.case_id, "reference": t.case.reference,
                                 "status": t.status})


@transaction.atomic
def offer(case: Case, by: User, grant_id: int) -> CaseTransfer:
    """Offer the whole case to the organisation the transfer consent names."""
    case_services.lock(case)
    if not _member(by, case.organisation_id, CASE_ROLES):
        raise ValidationError(_("Only the case's own organisation can transfer it."))
    grant = _grant(case, grant_id)
    if CaseTransfer.objects.filter(case=case, status=CaseTransfer.Status.PENDING).exists():
        raise ValidationError(_("A transfer of this case is already waiting for an answer."))
    receiver = grant.recipient_organisation_id
    assert receiver is not None  # _grant refuses a recipient outside Qorgau
    t = CaseTransfer.objects.create(case=case, grant=grant, sender_id=case.organisation_id,
                                    receiver_id=receiver,
                                    offered_by=by, offered_at=timezone.now())
    _write(t, by, "transfer.offer")
    return t


def _grant(case: Case, grant_id: int) -> ConsentGrant:
    from qorgau.consent.services import require_grant

    grant = require_grant(case, "transfer", rules.EXPORT_CATEGORIES, grant_id=grant_id)
    if grant.recipient_organisation_id is None:
        raise ValidationError(_("Consent no. %(grant)s names a recipient outside Qorgau: "
                                "export the case file for it instead.") % {"grant": grant.pk})
    if grant.recipient_organisation_id == case.organisation_id:
        raise ValidationError(_("The case is already with this organisation."))
    return grant


def _pending(t: CaseTransfer | None, allowed: Any) -> CaseTransfer:
    """The transfer, locked and still waiting, if `allowed(t)` (else 404: nobody else
    learns it exists)."""
    if t is None or not allowed(t):
        raise Http404
    case_services.lock(t.case)
    t.refresh_from_db()
    if t.status != CaseTransfer.Status.PENDING:
        raise ValidationError(_("This transfer was already answered or cancelled."))
    return t


def _decide(t: CaseTransfer, by: User, status: str, reason: str = "") -> CaseTransfer:
    t.status, t.decided_by, t.decided_at, t.reason = status, by, timezone.now(), reason
    t.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return t


@transaction.atomic
def cancel(case: Case, grant_id: int, by: User, reason: str = "") -> CaseTransfer:
    """The sender takes back the offer made under this grant before the receiver answers."""
    found = CaseTransfer.objects.filter(case=case, grant_id=grant_id).order_by("-pk").first()
    if found is None:
        raise ValidationError(_("No transfer of this case was offered under this consent."))
    t = _pending(found, lambda t: _member(by, t.sender_id, CASE_ROLES))
    _write(_decide(t, by, CaseTransfer.Status.CANCELLED, reason.strip()), by,
           "transfer.cancel")
    return t


def _member(user: User, organisation_id: int, roles: Any) -> bool:
    return Membership.objects.filter(user=user, organisation_id=organisation_id,
                                     role__in=roles).exists()


def cancel_on_revocation(grant: ConsentGrant, by: User) -> None:
    """Inside the revocation's transaction: an offer made under the grant ends with it."""
    for t in CaseTransfer.objects.filter(grant=grant, status=CaseTransfer.Status.PENDING):
        _write(_decide(t, by, CaseTransfer.Status.CANCELLED, _("The consent was revoked.")),
               by, "transfer.cancel")


def _incoming(pk: int, by: User) -> CaseTransfer:
    return _pending(CaseTransfer.objects.select_related("case", "receiver").filter(
        pk=pk).first(), lambda t: _member(by, t.receiver_id, DECIDERS))


@transaction.atomic
def accept(pk: int, by: User, assignee: User | None = None) -> CaseTransfer:
    """The case moves to the receiver, held by `assignee` (else the one who accepts)."""
    t = _incoming(pk, by)
    _grant(t.case, t.grant_id)  # still valid now (expired or revoked: refused)
    assignee = assignee or by
    if not Membership.objects.filter(user=assignee, organisation_id=t.receiver_id,
                                     role__in=CASE_ROLES, user__is_active=True).exists():
        raise ValidationError(_("Choose a colleague of your organisation to hold the case."))
    _decide(t, by, CaseTransfer.Status.ACCEPTED)
    case_services.move_case(t.case, t.receiver, by, assignee,
                            {"transfer": t.pk, "grant": t.grant_id, "from": t.sender_id})
    _write(t, by, "transfer.accept")
    return t


@transaction.atomic
def decline(pk: int, by: User, reason: str) -> CaseTransfer:
    t = _incoming(pk, by)
    if not reason.strip():
        raise ValidationError(_("Say why the transfer is declined: the sender reads it."))
    _write(_decide(t, by, CaseTransfer.Status.DECLINED, reason.strip()), by,
           "transfer.decline")
    return t


def incoming_for(user: User) -> QuerySet[CaseTransfer]:
    """Offers waiting for an organisation where `user` decides (supervisor, admin)."""
    orgs = Membership.objects.filter(user=user, role__in=DECIDERS).values("organisation_id")
    return (CaseTransfer.objects.filter(receiver_id__in=orgs,
                                        status=CaseTransfer.Status.PENDING)
            .select_related("sender", "grant", "case"))


def sent_for(user: User) -> QuerySet[CaseTransfer]:
    """Transfers out of the organisations where `user` holds a case role: an accepted one
    is the tombstone of a case that left (reference, receiver, consent; no personal data)."""
    orgs = Membership.objects.filter(user=user, role__in=CASE_ROLES).values("organisation_id")
    return (CaseTransfer.objects.filter(sender_id__in=orgs)
            .select_related("sender", "receiver", "case"))
