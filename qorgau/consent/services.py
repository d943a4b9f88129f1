"""Consent grants, their revocation, the check every use makes, and shares made under them.

Every write is in one transaction with its ledger entry on the case. A use (a bundle, an
export, a share) locks the case before it checks the grant, and so does a revocation: a use
either sees the revocation or finishes before it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import CASE_ROLES, Membership, Organisation, User
from qorgau.cases import erasure, records
from qorgau.cases import services as case_services
from qorgau.cases.models import Case
from qorgau.consent import rules, transfers
from qorgau.consent.models import CaseShare, CaseTransfer, ConsentGrant


class ConsentRequired(ValidationError):
    """A use the survivor's consent does not allow now; the message says why, plainly."""

    def __init__(self, refusal: rules.Refusal, purpose: str, grant: ConsentGrant | None):
        self.refusal = refusal
        super().__init__(_describe(refusal, purpose, grant))


def _day(moment: datetime | None) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


def _describe(refusal: rules.Refusal, purpose: str, grant: ConsentGrant | None) -> str:
    params: dict[str, Any] = {
        "grant": refusal.grant, "purpose": _(rules.PURPOSES.get(purpose, purpose)),
        "missing": ", ".join(_(rules.CATEGORIES[c]) for c in refusal.missing),
    }
    if grant is not None:
        params.update(expired=_day(grant.expires_at), revoked=_day(grant.revoked_at),
                      given=_(rules.PURPOSES.get(grant.purpose, grant.purpose)))
    return _(rules.MESSAGES[refusal.code]) % params


def subject(obj: ConsentGrant | CaseShare) -> str:
    return f"{'consent' if isinstance(obj, ConsentGrant) else 'share'}:{obj.pk}"


def _iso(moment: datetime | date | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


def grant_record(grant: ConsentGrant) -> dict[str, Any]:
    return {
        "id": grant.pk, "case": grant.case_id,
        "recipient_organisation": grant.recipient_organisation_id,
        "recipient_name": grant.recipient_name, "purpose": grant.purpose,
        "categories": sorted(grant.categories), "manner": grant.manner, "note": grant.note,
        "given_on": _iso(grant.given_on), "expires_at": _iso(grant.expires_at),
        "revoked_at": _iso(grant.revoked_at), "revoked_by": grant.revoked_by_id,
        "revocation_reason": grant.revocation_reason, "recorded_by": grant.recorded_by_id,
        "created_at": _iso(grant.created_at), "salt": grant.salt,
        # added 2026-12, digested only when set (older entries verify; docs/records.md)
        **({"imported": True} if grant.imported else {}),
    }


def share_record(share: CaseShare) -> dict[str, Any]:
    return {
        "id": share.pk, "case": share.case_id, "grant": share.grant_id,
        "organisation": share.organisation_id, "shared_by": share.shared_by_id,
        "created_at": _iso(share.created_at), "withdrawn_at": _iso(share.withdrawn_at),
        "withdrawn_by": share.withdrawn_by_id,
    }


def consent_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: grants and shares as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for grant in ConsentGrant.objects.filter(case_id__in=case_ids):
        found[grant.case_id][subject(grant)] = grant_record(grant)
    for share in CaseShare.objects.filter(case_id__in=case_ids):
        found[share.case_id][subject(share)] = share_record(share)
    for t in CaseTransfer.objects.filter(case_id__in=case_ids):
        found[t.case_id][transfers.subject(t)] = transfers.transfer_record(t)
    return found


# --- grants -------------------------------------------------------------------------------


@transaction.atomic
def grant_consent(
    case: Case,
    by: User,
    *,
    purpose: str,
    categories: Iterable[str],
    manner: str,
    given_on: date,
    expires_at: datetime,
    recipient_organisation: Organisation | None = None,
    recipient_name: str = "",
    note: str = "",
) -> ConsentGrant:
    """Record the survivor's consent, witnessed by `by`."""
    now = timezone.now()
    chosen = sorted(set(categories))
    recipient_name = " ".join(recipient_name.split())
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if purpose not in rules.PURPOSES:
        error("purpose", _("Choose what the consent is for."))
    if not chosen:
        error("categories", _("Choose at least one kind of data the consent covers."))
    elif rules.unknown_categories(chosen):
        error("categories", _("Choose the kinds of data from the list."))
    if manner not in ConsentGrant.Manner.values:
        error("manner", _("Say whether she gave consent in writing or orally."))
    if recipient_organisation is None and not recipient_name:
        error("recipient_name", _("Name the recipient: an organisation from the list, or "
                                  "one outside Qorgau."))
    if recipient_organisation is not None and recipient_name:
        error("recipient_name", _("Name the recipient once: an organisation from the list or "
                                  "one outside Qorgau, not both."))
    if recipient_organisation is not None and recipient_organisation.pk == case.organisation_id:
        error("recipient_organisation", _("The recipient must be another organisation."))
    if given_on > timezone.localdate(now):
        error("given_on", _("Consent cannot be given in the future."))
    if expires_at <= now:
        error("expires_at", _("The consent must run until a day in the future."))
    elif expires_at - now > rules.MAX_VALIDITY:
        error("expires_at", _("Consent can be recorded for at most a year; ask her again "
                              "when it runs out."))
    if errors:
        raise ValidationError(errors)
    case_services.lock(case)
    grant = ConsentGrant.objects.create(
        case=case, recipient_organisation=recipient_organisation,
        recipient_name=recipient_name, purpose=purpose, categories=chosen, manner=manner,
        note=note.strip(), given_on=given_on, expires_at=expires_at, recorded_by=by,
        created_at=now, salt=secrets.token_hex(16),
    )
    case_services.append(case, by, "consent.grant", subject(grant), grant_record(grant),
                         {"purpose": purpose})
    return grant


@transaction.atomic
def revoke_consent(grant: ConsentGrant, by: User, reason: str) -> ConsentGrant:
    """Revoke at once: from now on no use, and no share made under it, is allowed."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the consent is revoked (for example: "
                                           "she withdrew it on the phone).")})
    case_services.lock(grant.case)
    grant = ConsentGrant.objects.get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise ValidationError(_("This consent was already revoked."))
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.revocation_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    case_services.append(grant.case, by, "consent.revoke", subject(grant),
                         grant_record(grant))
    transfers.cancel_on_revocation(grant, by)
    return grant


def require_grant(
    case: Case,
    purpose: str,
    categories: Iterable[str],
    recipient_org: Organisation | int | None = None,
    grant_id: int | None = None,
) -> ConsentGrant:
    """The grant that allows this use now, else ConsentRequired saying why not.

    With `grant_id`, that grant of the case; without, any valid grant that covers it. Call
    inside the use's transaction, after locking the case.
    """
    wanted = frozenset(categories)
    org = recipient_org.pk if isinstance(recipient_org, Organisation) else recipient_org
    now = timezone.now()
    grants = ConsentGrant.objects.filter(case=case, imported=False)  # another holder's: history
    if grant_id is not None:
        grant = grants.filter(pk=grant_id).first()
        refusal = rules.check(grant.facts() if grant else None, now, purpose, wanted, org)
        if refusal is not None:
            raise ConsentRequired(refusal, purpose, grant)
        assert grant is not None
        return grant
    by_id = {g.pk: g for g in grants.filter(purpose=purpose)}
    found = rules.first_allowing([g.facts() for g in by_id.values()], now, purpose, wanted,
                                 org)
    if isinstance(found, rules.Refusal):
        raise ConsentRequired(found, purpose, by_id.get(found.grant or 0))
    return by_id[found.id]


def grants_of(case: Case, purpose: str) -> list[ConsentGrant]:
    """Every grant of the case for this purpose, valid or not (to list them; a use asks
    require_grant)."""
    return list(ConsentGrant.objects.filter(case=case, purpose=purpose)
                .select_related("recipient_organisation"))


def grants_allowing(case: Case, purpose: str, categories: Iterable[str]) -> list[ConsentGrant]:
    """Grants that allow this use now (for a form's choice)."""
    now, wanted = timezone.now(), frozenset(categories)
    return [g for g in ConsentGrant.objects.filter(case=case, purpose=purpose)
            .select_related("recipient_organisation")
            if rules.check(g.facts(), now, purpose, wanted) is None]


def check_export(case: Case, by: User, grant_id: int | None) -> int:
    """For the case-file export: the transfer grant that allows it."""
    return require_grant(case, "transfer", rules.EXPORT_CATEGORIES, grant_id=grant_id).pk


# --- shares -------------------------------------------------------------------------------


@transaction.atomic
def share_case(case: Case, by: User, grant_id: int) -> CaseShare:
    """Share the case read-only, the granted categories only, with the grant's recipient
    organisation. Needs a valid referral grant to an organisation that uses Qorgau."""
    case_services.lock(case)
    grant = require_grant(case, "referral", (), grant_id=grant_id)
    if grant.recipient_organisation_id is None:
        raise ValidationError(_("Consent no. %(grant)s names a recipient outside Qorgau; a case "
                                "can be shared only with an organisation that uses Qorgau.")
                              % {"grant": grant.pk})
    if CaseShare.objects.filter(grant=grant, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("The case is already shared under consent no. %(grant)s.")
                              % {"grant": grant.pk})
    share = CaseShare.objects.create(case=case, grant=grant,
                                     organisation_id=grant.recipient_organisation_id,
                                     shared_by=by, created_at=timezone.now())
    case_services.append(case, by, "share.create", subject(share), share_record(share),
                         {"grant": grant.pk, "organisation": share.organisation_id})
    return share


@transaction.atomic
def withdraw_share(share: CaseShare, by: User) -> CaseShare:
    case_services.lock(share.case)
    share = CaseShare.objects.get(pk=share.pk)
    if share.withdrawn_at is not None:
        raise ValidationError(_("This share was already withdrawn."))
    share.withdrawn_at = timezone.now()
    share.withdrawn_by = by
    share.save(update_fields=["withdrawn_at", "withdrawn_by"])
    case_services.append(share.case, by, "share.withdraw", subject(share), share_record(share),
                         {"grant": share.grant_id, "organisation": share.organisation_id})
    return share


def open_shares_for(user: User) -> QuerySet[CaseShare]:
    """Shares open now to the organisations where `user` holds a case role."""
    if not getattr(user, "is_authenticated", False):
        return CaseShare.objects.none()
    now = timezone.now()
    organisations = Membership.objects.filter(user=user, role__in=CASE_ROLES).values(
        "organisation_id")
    return (CaseShare.objects.filter(organisation_id__in=organisations,
                                     withdrawn_at__isnull=True,
                                     grant__expires_at__gt=now)
            .filter(Q(grant__revoked_at__isnull=True) | Q(grant__revoked_at__gt=now))
            .select_related("grant", "case__organisation", "organisation"))


@transaction.atomic
def view_share(user: User, pk: int) -> CaseShare:
    """The open share `pk` for a member of its recipient organisation, else 404; the view
    is on the case's ledger (share, grant and organisation ids: no personal data)."""
    share = open_shares_for(user).filter(pk=pk).first()
    if share is None:
        raise Http404
    case_services.lock(share.case)
    share = open_shares_for(user).filter(pk=pk).first()  # a revocation may have just won
    if share is None:
        raise Http404
    case_services.append(share.case, user, "share.view", subject(share), detail={
        "share": share.pk, "grant": share.grant_id, "organisation": share.organisation_id})
    return share


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): shares and transfers, then the grants they relied on."""
    return erasure.delete(CaseShare.objects.filter(case=case),
                          CaseTransfer.objects.filter(case=case),
                          ConsentGrant.objects.filter(case=case))


# --- the case file (qorgau.cases.casefile, version 2) ---------------------------------------
# A case file carries the case's grants as the record of what she agreed to and withdrew.
# Imported, a grant names its recipient in words (organisation ids do not travel); its
# ledger entry says it was imported.


def grant_categories(grant_id: int) -> list[str]:
    """What grant `grant_id` covers (for the case-file export's sections)."""
    grant = ConsentGrant.objects.filter(pk=grant_id).first()
    return list(grant.categories) if grant is not None else []


@transaction.atomic
def import_grant(case: Case, by: User, *, purpose: str, categories: Iterable[str],
                 manner: str, recipient: str, given_on: date, expires_at: datetime,
                 created_at: datetime, revoked_at: datetime | None = None,
                 revocation_reason: str = "", note: str = "") -> ConsentGrant:
    """A grant as another holder of the case recorded it (a case-file import)."""
    chosen = sorted(set(categories))
    recipient = " ".join(recipient.split())
    errors: dict[str, list[str]] = {}
    if purpose not in rules.PURPOSES:
        errors["purpose"] = [_("Choose what the consent is for.")]
    if not chosen or rules.unknown_categories(chosen):
        errors["categories"] = [_("Choose the kinds of data from the list.")]
    if manner not in ConsentGrant.Manner.values:
        errors["manner"] = [_("Say whether she gave consent in writing or orally.")]
    if not recipient:
        errors["recipient_name"] = [_("Name the recipient: an organisation from the list, "
                                      "or one outside Qorgau.")]
    if errors:
        raise ValidationError(errors)
    case_services.lock(case)
    grant = ConsentGrant.objects.create(
        case=case, recipient_name=recipient, purpose=purpose, categories=chosen,
        manner=manner, note=note.strip(), given_on=given_on, expires_at=expires_at,
        revoked_at=revoked_at, revocation_reason=revocation_reason.strip(),
        recorded_by=by, created_at=created_at, salt=secrets.token_hex(16), imported=True)
    case_services.append(case, by, "consent.grant", subject(grant), grant_record(grant),
                         {"purpose": purpose, "imported": True})
    return grant


def _casefile_section() -> Any:
    from qorgau.cases import casefile
    from qorgau.cases.casefile import CheckContext, ExportContext, ImportContext, Problem

    def schema() -> dict[str, Any]:
        return {"type": "array", "description": "The survivor's consent grants.", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "purpose", "categories", "manner", "recipient", "given_on",
                         "expires_at", "created_at"],
            "properties": {
                "key": {"type": "string", "pattern": r"^[A-Za-z0-9_.-]{1,40}$",
                        "description": "File-local identifier; referrals name it."},
                "purpose": {"type": "string", "enum": list(rules.PURPOSES)},
                "categories": {"type": "array", "items": {
                    "type": "string", "enum": list(rules.CATEGORIES)}},
                "manner": {"type": "string", "enum": ConsentGrant.Manner.values},
                "recipient": {"type": "string", "pattern": r"\S",
                              "description": "The recipient, in words."},
                "note": {"type": "string"},
                "given_on": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                "expires_at": {"type": "string", "format": "date-time"},
                "revoked_at": {"type": ["string", "null"], "format": "date-time"},
                "revocation_reason": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
            }}}

    def export(context: ExportContext) -> list[dict[str, Any]]:
        grants = list(ConsentGrant.objects.filter(case=context.case)
                      .select_related("recipient_organisation").order_by("created_at", "pk"))
        keys = context.keys.setdefault("consents", {})
        items = []
        for i, grant in enumerate(grants, start=1):
            keys[grant.pk] = f"c{i}"
            items.append({
                "key": f"c{i}", "purpose": grant.purpose,
                "categories": sorted(grant.categories), "manner": grant.manner,
                "recipient": grant.recipient(), "note": grant.note,
                "given_on": grant.given_on.isoformat(), "expires_at": _iso(grant.expires_at),
                "revoked_at": _iso(grant.revoked_at),
                "revocation_reason": grant.revocation_reason,
                "created_at": _iso(grant.created_at)})
        return items

    def check(items: list[dict[str, Any]], context: CheckContext,
              path: str) -> list[Problem]:
        problems: list[Problem] = []
        keys = context.keys.setdefault("consents", set())
        for i, item in enumerate(items):
            where = f"{path}[{i}]"
            if item["key"] in keys:
                problems.append(Problem(f"{where}.key", _(
                    "the key %(key)s is used by another consent.") % {"key": item["key"]}))
            keys.add(item["key"])
            for name in ("given_on", "expires_at", "revoked_at", "created_at"):
                problems += casefile.moment_problems(item.get(name), f"{where}.{name}",
                                                     day=name == "given_on")
        return problems

    def load(items: list[dict[str, Any]], context: ImportContext) -> None:
        found = context.objects.setdefault("consents", {})
        for i, item in enumerate(items):
            context.path = f"$.consents[{i}]"
            context.fields = {"purpose": "purpose", "categories": "categories",
                              "manner": "manner", "recipient_name": "recipient"}
            found[item["key"]] = import_grant(
                context.case, context.by, purpose=item["purpose"],
                categories=item["categories"], manner=item["manner"],
                recipient=item["recipient"], note=item.get("note", ""),
                given_on=date.fromisoformat(item["given_on"]),
                expires_at=casefile.moment(item["expires_at"]),
                created_at=casefile.moment(item["created_at"]),
                revoked_at=casefile.optional_moment(item.get("revoked_at")),
                revocation_reason=item.get("revocation_reason", ""))

    return casefile.Section("consents", 10, schema, export, check, load)


def _register_casefile() -> None:
    # Here, not in cases: cases does not import the consent app (apps.ready imports this).
    from qorgau.cases import casefile

    casefile.register_section(_casefile_section())
    casefile.register_grant_categories(grant_categories)


_register_casefile()
