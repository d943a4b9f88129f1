"""Today: what a caseworker does first. The organisation's own tasks due this week; the
authorities' failures grouped per case, each with one next step, leaving the list once
escalated (a complaint sent about them) or decided not to escalate (with a reason).

A failure is escalated when a complaint (`complaint_official`, as a sent letter records it or
as a caseworker enters it) is linked to the event that triggered it; its answer is then the
addressee's duty, due on the date that duty says.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from qorgau.accounts.models import CASE_ROLES, Membership, User
from qorgau.cases import erasure, policy, records
from qorgau.cases import services as case_services
from qorgau.cases.models import Case, CaseAssignment, Event, EventLink
from qorgau.duties import engine
from qorgau.duties.models import EscalationDecision, Obligation

WEEK = timedelta(days=7)
# Duties the organisation itself owes (or follows up with its service partners).
OWN_BEARERS = ("organisation", "service_provider")
ESCALATION_KINDS = ("complaint_official",)
GROUPS_SHOWN = 50  # the case groups on the page; the count says how many more


def open_cases(user: User, caseworker: int | None = None) -> QuerySet[Case]:
    """The user's open casework cases; with `caseworker`, those assigned to that person."""
    cases = Case.objects.visible_to(user).filter(status=Case.Status.OPEN,
                                                 mode=Case.Mode.CASEWORK)
    if caseworker is not None:
        cases = cases.filter(pk__in=CaseAssignment.objects.filter(
            user_id=caseworker).values("case_id"))
    return cases


def hide_restricted(user: User, rows: QuerySet[Obligation]) -> QuerySet[Obligation]:
    """Without the obligations a restricted event triggered, where the role may not see it.
    `rows` are already on the user's cases (open_cases): no filter on the obligation's
    organisation beside them, which made PostgreSQL intersect each case's rows with the
    whole organisation's (a BitmapAnd of 21,000 rows a case at 100,000 cases)."""
    roles = dict(Membership.objects.filter(user=user, role__in=CASE_ROLES).values_list(
        "organisation_id", "role"))
    hidden = [org for org, role in roles.items() if not policy.role_sees_restricted(role)]
    if hidden:
        rows = rows.exclude(Q(organisation__in=hidden), Exists(
            Event.objects.restricted().filter(pk=OuterRef("trigger_id"))))
    return rows


def own_tasks(user: User, today: date, caseworker: int | None = None) -> QuerySet[Obligation]:
    """The organisation's own duties, overdue or due within the week, earliest first."""
    rows = Obligation.objects.filter(
        case__in=open_cases(user, caseworker).values("pk"), duty_bearer__in=OWN_BEARERS,
        status__in=[engine.PENDING, engine.BREACHED], due_latest__lte=today + WEEK)
    return hide_restricted(user, rows).select_related("case", "trigger").order_by(
        "due_latest", "case__reference", "pk")


def _complaints() -> QuerySet[EventLink]:
    """Links from a complaint (a current escalation event) to what it complains of."""
    return EventLink.objects.filter(source__kind__in=ESCALATION_KINDS,
                                    source__superseded_by__isnull=True)


def escalated() -> Exists:
    """Whether a complaint (a current escalation event) is linked to the duty's trigger."""
    return Exists(_complaints().filter(target_id=OuterRef("trigger_id")))


def declined() -> Exists:
    """Whether a decision not to escalate the duty's trigger is recorded."""
    return Exists(EscalationDecision.objects.filter(
        case_id=OuterRef("case_id"), trigger_id=OuterRef("trigger_id")))


def authority_failures(user: User, caseworker: int | None = None) -> QuerySet[Obligation]:
    """Breached duties of the authorities on the user's open cases, with their state."""
    rows = Obligation.objects.filter(
        case__in=open_cases(user, caseworker).values("pk"), status=engine.BREACHED,
    ).exclude(duty_bearer__in=OWN_BEARERS)
    return hide_restricted(user, rows).annotate(escalated=escalated(), declined=declined())


@dataclass
class Group:
    """A case's authority failures that wait for a decision: one next step for all."""

    case_id: int
    reference: str
    bearers: dict[str, int] = field(default_factory=dict)  # bearer id -> failures
    since: date | None = None
    triggers: list[int] = field(default_factory=list)  # event numbers
    rules: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.bearers.values())


@dataclass
class Waiting:
    """A case whose failures were escalated: when, and when the answer is due."""

    case_id: int
    reference: str
    escalated_on: date | None
    answer_due: date | None
    answer_overdue: bool


@dataclass
class Picture:
    own: list[Obligation]
    groups: list[Group]
    more_groups: int
    waiting: list[Waiting]
    declined: int


def picture(user: User, today: date, caseworker: int | None = None) -> Picture:
    columns = ("case_id", "case__reference", "duty_bearer", "due_latest", "trigger__number",
               "rule_id", "escalated", "declined")  # the last two annotated
    failures = authority_failures(user, caseworker).values_list(*columns).order_by(
        "due_latest", "case__reference", "pk")
    groups: dict[int, Group] = {}
    escalated_cases: dict[int, str] = {}
    declined = 0
    for case_id, reference, bearer, due, trigger, rule_id, escalated, was_declined in failures:
        if escalated:
            escalated_cases[case_id] = reference
            continue
        if was_declined:
            declined += 1
            continue
        group = groups.setdefault(case_id, Group(case_id, reference))
        group.bearers[bearer] = group.bearers.get(bearer, 0) + 1
        group.since = min(filter(None, (group.since, due)), default=None)
        group.triggers.append(trigger)
        group.rules.append(rule_id)
    ordered = sorted(groups.values(), key=lambda g: (g.since or date.max, g.reference))
    return Picture(own=list(own_tasks(user, today, caseworker)),
                   groups=ordered[:GROUPS_SHOWN], more_groups=max(0, len(ordered) - GROUPS_SHOWN),
                   waiting=_waiting(escalated_cases, today), declined=declined)


def _waiting(cases: dict[int, str], today: date) -> list[Waiting]:
    """For each escalated case: the latest complaint, and its answer's due date."""
    if not cases:
        return []
    complaints = (Event.objects.filter(case_id__in=list(cases), kind__in=ESCALATION_KINDS)
                  .current().order_by("case_id", "-sort_start", "-number")
                  .values_list("case_id", "pk", "sort_start"))
    latest: dict[int, tuple[int | None, date | None]] = {}
    for case_id, complaint, day in complaints:
        latest.setdefault(case_id, (complaint, day))
    answers = {trigger: (due, status) for trigger, due, status in Obligation.objects.filter(
        trigger_id__in=[pk for pk, _day in latest.values()]).exclude(
        duty_bearer__in=OWN_BEARERS).values_list("trigger_id", "due_latest", "status")}
    found = []
    for case_id, reference in cases.items():
        pk, day = latest.get(case_id, (None, None))
        due, status = answers.get(pk, (None, "")) if pk else (None, "")
        found.append(Waiting(case_id, reference, day, due,
                             status == engine.BREACHED or bool(due and due < today
                                                               and status == engine.PENDING)))
    return sorted(found, key=lambda w: (w.answer_due or date.max, w.reference))


# --- deciding not to escalate ------------------------------------------------------------

def decision_record(d: EscalationDecision) -> dict[str, Any]:
    return {"id": d.pk, "case": d.case_id, "trigger": d.trigger.number, "reason": d.reason,
            "decided_by": d.decided_by_id, "salt": d.salt}


def decision_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: the decisions not to escalate, as the ledger vouches."""
    found = records.by_case(case_ids)
    for d in EscalationDecision.objects.filter(case_id__in=case_ids).select_related("trigger"):
        found[d.case_id][f"escalation:{d.pk}"] = decision_record(d)
    return found


@transaction.atomic
def decline(case: Case, by: User, reason: str,
            triggers: Iterable[int] | None = None) -> list[EscalationDecision]:
    """Decide not to escalate the case's authority failures that wait for a decision (or
    those of `triggers`, event numbers): each decision with its reason and ledger entry."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": _("Say why these failures are not escalated.")})
    waiting = (Obligation.objects.filter(case=case, status=engine.BREACHED)
               .exclude(duty_bearer__in=OWN_BEARERS)
               .annotate(escalated=escalated(), declined=declined())
               .filter(escalated=False, declined=False))
    if triggers is not None:
        waiting = waiting.filter(trigger__number__in=list(triggers))
    events = {o.trigger_id: o.trigger for o in waiting.select_related("trigger")}
    if not events:
        raise ValidationError(_("No failure of this case waits for a decision."))
    made = []
    for trigger in sorted(events.values(), key=lambda e: e.number):
        decision = EscalationDecision.objects.create(
            case=case, trigger=trigger, reason=reason, decided_by=by,
            salt=secrets.token_hex(16))
        case_services.append(case, by, "escalation.decline", f"escalation:{decision.pk}",
                             decision_record(decision))
        made.append(decision)
    return made


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): the case's decisions not to escalate."""
    return erasure.delete(EscalationDecision.objects.filter(case=case))


def authority_failures_of(case: Case, breached: Iterable[tuple[str, int]]) -> int:
    """How many of one case's authority failures wait for a decision (no complaint linked,
    no decision recorded): `breached` is (duty-bearer, trigger id) of the stored breaches
    its reader may see (PageDuties.breached); one query for the triggers already settled
    (as `escalated` and `declined` say of a duty)."""
    failures = [trigger for bearer, trigger in breached if bearer not in OWN_BEARERS]
    if not failures:
        return 0
    complained = (_complaints().filter(source__case=case).order_by()
                  .values_list("target_id", flat=True))
    decided = (EscalationDecision.objects.filter(case=case).order_by()
               .values_list("trigger_id", flat=True))
    settled = set(complained.union(decided))
    return sum(1 for trigger in failures if trigger not in settled)
