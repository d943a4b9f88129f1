"""What a recipient organisation sees of a shared case: only the granted categories.

Restricted events (self-harm) are never shared, nor exhibits attached to events the share
does not show. Exhibits are listed (type, size, hash), never opened from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language

from qorgau.cases import policy
from qorgau.cases.models import Case, Event, Party
from qorgau.consent import rules
from qorgau.consent.models import CaseShare
from qorgau.duties import engine, profiles
from qorgau.duties import services as duties
from qorgau.duties.models import Obligation
from qorgau.evidence.models import Exhibit
from qorgau.proceedings.models import Proceeding
from qorgau.risk.models import SECTIONS, Assessment, SafetyPlan


@dataclass
class SharedView:
    categories: list[str]
    parties: list[Party] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    plan: list[tuple[str, str]] = field(default_factory=list)  # (field label, text)
    obligations: list[dict[str, Any]] = field(default_factory=list)
    exhibits: list[Exhibit] = field(default_factory=list)
    proceedings: list[Proceeding] = field(default_factory=list)


def _hidden(categories: Iterable[str]) -> frozenset[str]:
    return policy.hidden_kinds(False) | rules.shared_kinds_excluded(categories)


def hidden_kinds(share: CaseShare) -> frozenset[str]:
    return _hidden(share.grant.categories)


def shared_events(share: CaseShare) -> list[Event]:
    return _events(share.case, share.grant.categories)


def _events(case: Case, categories: Iterable[str]) -> list[Event]:
    return list(Event.objects.filter(case=case).current()
                .exclude(kind__in=_hidden(categories)).chronological())


def build(share: CaseShare) -> SharedView:
    return build_for(share.case, share.grant.categories)


def build_for(case: Case, categories: Iterable[str]) -> SharedView:
    """What `categories` of the case show (a share's page, a referral letter)."""
    granted = set(categories)
    view = SharedView(categories=[c for c in rules.CATEGORIES if c in granted])
    if granted & {"identity", "contact"}:
        view.parties = list(Party.objects.filter(case=case).order_by("id"))
    if "timeline" in granted:
        view.events = _events(case, granted)
    if "risk" in granted:
        view.assessments = list(Assessment.objects.filter(case=case).order_by("-created_at"))
    if "safety_plan" in granted:
        plan = SafetyPlan.objects.filter(case=case).first()
        if plan is not None:
            view.plan = [(str(getattr(SafetyPlan._meta.get_field(name), "verbose_name", name)),
                          getattr(plan, name)) for name in SECTIONS if getattr(plan, name)]
    if "duties" in granted:
        view.obligations = _obligations(case)
    if "evidence" in granted:
        view.exhibits = list(Exhibit.objects.filter(case=case)
                             .exclude(event__kind__in=_hidden(granted))
                             .select_related("blob").order_by("number"))
    if "proceedings" in granted:
        view.proceedings = list(Proceeding.objects.filter(case=case).order_by("pk"))
    return view


def _obligations(case: Case) -> list[dict[str, Any]]:
    profile = duties.profile_for(case)
    language = (get_language() or "ru")[:2]
    today = timezone.localdate()
    rows = []
    for o in (Obligation.objects.filter(case=case).for_reader(False).select_related("trigger")
              .order_by("due_latest", "pk")):
        try:
            rule = profile.rule(o.rule_id)
        except KeyError:
            continue
        status = engine.current_status(o.status, o.due_latest, today)
        rows.append({"title": profiles.text_in(rule.title, language),
                     "bearer": profile.bearer(rule.duty_bearer, language),
                     "due": o.due_latest, "status": engine.STATUS_LABELS[status],
                     "trigger": o.trigger.number, "confirmed": rule.confirmed})
    return rows
