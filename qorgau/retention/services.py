"""Closing and reopening with the retention clock, legal holds, and erasure.

Every write is in one transaction with its ledger entry. Erasure removes every record of the
case through the erasers registered in qorgau.cases.erasure, keeps the Case row as a
tombstone (status `erased`) and ends the ledger with a `case.erase` entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qorgau.accounts import orgledger
from qorgau.accounts.models import Membership, Organisation, Role, User
from qorgau.cases import erasure, records
from qorgau.cases import services as case_services
from qorgau.cases.models import Case, CaseAssignment, LedgerEntry
from qorgau.retention import policy
from qorgau.retention.models import LegalHold, RetentionClock, RetentionPolicy

MANAGER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


# --- the period --------------------------------------------------------------------------


def default_months() -> int:
    return int(getattr(settings, "QORGAU_RETENTION_MONTHS", policy.DEFAULT_MONTHS))


def period_months(organisation: Organisation) -> int:
    """The organisation's retention period, or the instance's default."""
    own = RetentionPolicy.objects.filter(organisation=organisation).first()
    return own.months if own else default_months()


SETTING = "retention_months"


@transaction.atomic
def set_policy(organisation: Organisation, months: int | None,
               by: User | None = None) -> RetentionPolicy | None:
    """Set the organisation's period (None: back to the default), on the organisation's
    ledger. Cases already closed keep the retain-until date they were given when they were
    closed."""
    own = RetentionPolicy.objects.select_for_update().filter(organisation=organisation).first()
    old = own.months if own else None
    if months is None:
        if own is not None:
            own.delete()
            orgledger.record_other_setting(organisation, by, SETTING, None, old, None)
        return None
    own = own or RetentionPolicy(organisation=organisation)
    own.months = months
    own.full_clean(exclude=["organisation"])
    if months != old:
        own.save()
        orgledger.record_other_setting(organisation, by, SETTING, policy_record(own), old,
                                       months)
    return own


def policy_record(own: RetentionPolicy) -> dict[str, Any]:
    return {"months": own.months}


def policy_records(org_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: each organisation's own period as its ledger vouches for it."""
    return {org_id: {orgledger.setting_subject(SETTING): {"months": months}}
            for org_id, months in RetentionPolicy.objects.filter(organisation_id__in=org_ids)
            .values_list("organisation_id", "months")}


# --- records for the ledger ---------------------------------------------------------------


def clock_subject(clock: RetentionClock) -> str:
    return f"retention:{clock.pk}"


def hold_subject(hold: LegalHold) -> str:
    return f"hold:{hold.pk}"


def clock_record(clock: RetentionClock) -> dict[str, Any]:
    return {"id": clock.pk, "case": clock.case_id, "closed_on": clock.closed_on.isoformat(),
            "months": clock.months, "retain_until": clock.retain_until.isoformat()}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def hold_record(hold: LegalHold) -> dict[str, Any]:
    return {"id": hold.pk, "case": hold.case_id, "reason": hold.reason,
            "set_by": hold.set_by_id, "set_at": _iso(hold.set_at),
            "lift_reason": hold.lift_reason, "lifted_by": hold.lifted_by_id,
            "lifted_at": _iso(hold.lifted_at), "salt": hold.salt}


def retention_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: the clocks and the holds as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for clock in RetentionClock.objects.filter(case_id__in=case_ids):
        found[clock.case_id][clock_subject(clock)] = clock_record(clock)
    for hold in LegalHold.objects.filter(case_id__in=case_ids):
        found[hold.case_id][hold_subject(hold)] = hold_record(hold)
    return found


# --- who may act --------------------------------------------------------------------------


def role_on(case: Case, user: User | None) -> str | None:
    """The user's role in the case's organisation, if they are assigned to the case."""
    if user is None or not CaseAssignment.objects.filter(case=case, user=user).exists():
        return None
    return Membership.objects.filter(
        user=user, organisation_id=case.organisation_id).values_list("role", flat=True).first()


def can_manage(case: Case, user: User | None) -> bool:
    """Close, reopen, hold and erase: a supervisor or administrator assigned to the case."""
    return role_on(case, user) in MANAGER_ROLES


def _require_manager(case: Case, by: User) -> None:
    if not can_manage(case, by):
        raise ValidationError(_("Only a supervisor or an administrator of the case's "
                                "organisation who is assigned to the case can do this."))


# --- the clock ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    closed_on: date
    months: int
    retain_until: date
    stored: bool  # False: the case was closed before clocks were kept; derived from the ledger


def clock_for(case: Case) -> Clock | None:
    """The retention clock of a closed case; None while it is open (or erased)."""
    if case.status != Case.Status.CLOSED:
        return None
    stored = RetentionClock.objects.filter(case=case).first()
    if stored is not None:
        return Clock(stored.closed_on, stored.months, stored.retain_until, True)
    # Closed before this app existed: the newest status change is the closing.
    closed_at = (LedgerEntry.objects.filter(case=case, action="case.status")
                 .order_by("-seq").values_list("at", flat=True).first())
    if closed_at is None:
        return None
    closed_on = timezone.localdate(closed_at)
    months = period_months(case.organisation)
    return Clock(closed_on, months, policy.retain_until(closed_on, months), False)


def on_status_changed(sender: Any, case: Case, by: User | None, **kwargs: Any) -> None:
    """Closing starts the clock, reopening stops it (inside set_status's transaction)."""
    if case.status == Case.Status.CLOSED:
        closed_on = timezone.localdate()
        months = period_months(case.organisation)
        clock = RetentionClock.objects.create(
            case=case, closed_on=closed_on, months=months,
            retain_until=policy.retain_until(closed_on, months))
        case_services.append(case, by, "retention.start", clock_subject(clock),
                             clock_record(clock))
    else:
        for clock in RetentionClock.objects.filter(case=case):
            subject = clock_subject(clock)
            clock.delete()
            case_services.append(case, by, "retention.remove", subject)


@transaction.atomic
def close_case(case: Case, by: User) -> Case:
    _require_manager(case, by)
    if case.status != Case.Status.OPEN:
        raise ValidationError(_("The case is not open."))
    return case_services.set_status(case, by, Case.Status.CLOSED)


@transaction.atomic
def reopen_case(case: Case, by: User) -> Case:
    _require_manager(case, by)
    if case.status != Case.Status.CLOSED:
        raise ValidationError(_("The case is not closed."))
    return case_services.set_status(case, by, Case.Status.OPEN)


# --- legal hold -----------------------------------------------------------------------------


def hold_in_force(case: Case) -> LegalHold | None:
    return LegalHold.objects.filter(case=case, lifted_at__isnull=True).first()


def _reason(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: _("Say why.")})
    if len(text) > 2000:
        raise ValidationError({field: _("Keep the reason under 2000 characters.")})
    return text


@transaction.atomic
def set_hold(case: Case, by: User, reason: str) -> LegalHold:
    """Put the case under legal hold: it cannot be erased until the hold is lifted."""
    _require_manager(case, by)
    text = _reason(reason, "reason")
    case_services.lock(case)
    if hold_in_force(case) is not None:
        raise ValidationError(_("The case is already under legal hold."))
    hold = LegalHold.objects.create(case=case, reason=text, set_by=by, set_at=timezone.now(),
                                    salt=secrets.token_hex(16))
    case_services.append(case, by, "hold.set", hold_subject(hold), hold_record(hold))
    return hold


@transaction.atomic
def lift_hold(case: Case, by: User, reason: str) -> LegalHold:
    _require_manager(case, by)
    text = _reason(reason, "lift_reason")
    case_services.lock(case)
    hold = hold_in_force(case)
    if hold is None:
        raise ValidationError(_("The case is not under legal hold."))
    hold.lift_reason, hold.lifted_by, hold.lifted_at = text, by, timezone.now()
    hold.save()
    case_services.append(case, by, "hold.lift", hold_subject(hold), hold_record(hold))
    return hold


# --- erasure --------------------------------------------------------------------------------


def reason_choices() -> list[tuple[str, str]]:
    return [
        (policy.RETENTION_ENDED, _("The retention period has ended")),
        (policy.SURVIVOR_REQUEST, _("The survivor asked for her data to be erased")),
        (policy.LEGAL_ORDER, _("A court or the data protection authority ordered erasure")),
    ]


def _who(case: Case, by: User | None) -> str:
    if by is None:
        return policy.SYSTEM
    role = role_on(case, by)
    if role == Role.ADMIN:
        return policy.ADMIN
    if role == Role.SUPERVISOR:
        return policy.SUPERVISOR
    return policy.OTHER


def _refusal_message(code: str, clock: Clock | None) -> str:
    until = date_format(clock.retain_until) if clock else ""
    return {
        policy.NOT_ALLOWED: _("Only a supervisor or an administrator of the case's "
                              "organisation who is assigned to the case can erase it."),
        policy.UNKNOWN_REASON: _("Choose the reason for the erasure from the list."),
        policy.ALREADY_ERASED: _("This case has already been erased."),
        policy.OPEN: _("The case is open. Close it before erasing it."),
        policy.HELD: _("The case is under legal hold and cannot be erased. Lift the hold "
                       "first, if its reason no longer applies."),
        policy.NOT_DUE: _("The case is kept until %(date)s and can be erased after that day. "
                          "Before then only an administrator can erase it, at the "
                          "survivor's request or on a legal order.") % {"date": until},
        policy.EARLY_NEEDS_ADMIN: _("The case is kept until %(date)s. Before then only an "
                                    "administrator can erase it.") % {"date": until},
    }[code]


def refusal(case: Case, by: User | None, reason: str, today: date | None = None) -> str | None:
    """Why `by` may not erase the case now (a sentence), or None."""
    clock = clock_for(case)
    code = policy.refusal(policy.Situation(
        status=case.status, held=hold_in_force(case) is not None,
        retained_until=clock.retain_until if clock else None,
        today=today or timezone.localdate(), who=_who(case, by), reason=reason))
    return _refusal_message(code, clock) if code else None


def erase_case(case: Case, by: User | None, reason: str, *,
               today: date | None = None) -> dict[str, int]:
    """Remove every record of the case; keep its row as a tombstone and its ledger.

    `by` None is the system (`erase-expired`), which erases only cases past their period.
    Files are removed after the transaction commits. Returns the rows removed per kind.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        case_services.lock(case)
        case.refresh_from_db()
        message = refusal(case, by, reason, today)
        if message:
            raise ValidationError(message)
        clock = clock_for(case)
        detail: dict[str, Any] = {
            "reason": reason,
            "closed_on": clock.closed_on.isoformat() if clock else None,
            "retain_until": clock.retain_until.isoformat() if clock else None,
            "early": not policy.is_due(clock.retain_until if clock else None, today),
        }
        counts = erasure.erase_records(case)
        case.status = Case.Status.ERASED
        case.save(update_fields=["status"])
        detail["removed"] = dict(sorted(counts.items()))
        case_services.append(case, by, case_services.ERASE_ACTION, records.subject(case),
                             records.case_record(case), detail)
    return counts


def erase_retention(case: Case) -> dict[str, int]:
    """This app's eraser: the clock and the holds (their reasons may name people)."""
    return erasure.delete(RetentionClock.objects.filter(case=case),
                          LegalHold.objects.filter(case=case))


# --- cases due ------------------------------------------------------------------------------


def due_cases(today: date | None = None,
              organisation: Organisation | None = None) -> list[tuple[Case, Clock]]:
    """Closed cases past their retention period and not under legal hold, oldest first."""
    today = today or timezone.localdate()
    held = LegalHold.objects.filter(lifted_at__isnull=True).values("case_id")
    closed: QuerySet[Case] = Case.objects.filter(status=Case.Status.CLOSED).exclude(
        pk__in=held)
    if organisation is not None:
        closed = closed.filter(organisation=organisation)
    found = []
    stored = closed.filter(retention_clock__retain_until__lt=today).select_related(
        "organisation", "retention_clock")
    for case in stored:
        c = case.retention_clock
        found.append((case, Clock(c.closed_on, c.months, c.retain_until, True)))
    for case in closed.filter(retention_clock__isnull=True).select_related("organisation"):
        clock = clock_for(case)
        if clock is not None and policy.is_due(clock.retain_until, today):
            found.append((case, clock))
    return sorted(found, key=lambda pair: (pair[1].retain_until, pair[0].reference))
