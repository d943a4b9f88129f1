"""The Duties panel on the case page."""

from __future__ import annotations

import heapq
from datetime import date
from typing import Any

from django import template
from django.utils import timezone

from qorgau.cases import policy
from qorgau.cases.models import Case
from qorgau.duties import engine, profiles, services
from qorgau.duties.views import URGENCY, by_urgency, present

register = template.Library()

PANEL_DUTIES = 10  # the most urgent; the duties page has them all


def _known_rules(profile_id: str) -> frozenset[str]:
    return frozenset(rule.id for rule in
                     profiles.cached(profile_id, str(services.profiles_dir())).rules)


@register.inclusion_tag("duties/_panel.html")
def duties_panel(case: Case) -> dict[str, Any]:
    """How many duties are breached, pending and met, and the most urgent of them (one
    query, shared with the risk panel); obligations triggered by restricted events only for
    those who see them, and none whose rule left the profile (as on the duties page)."""
    sees_restricted = policy.sees_restricted(case)
    today = timezone.localdate()
    rules: dict[str, frozenset[str]] = {}
    counts = {status: 0 for status in engine.STATUSES}
    urgent: list[tuple[int, date, int, services.PageObligation]] = []
    for row in services.page_obligations(case):
        if not policy.kind_visible(row.trigger_kind, sees_restricted):
            continue
        if row.profile not in rules:
            rules[row.profile] = _known_rules(row.profile)
        if row.rule_id not in rules[row.profile]:
            continue
        status = engine.current_status(row.status, row.due_latest, today)
        counts[status] += 1
        urgent.append((URGENCY[status], row.due_latest or date.max, len(urgent), row))
    top = [row for *_key, row in heapq.nsmallest(PANEL_DUTIES, urgent)]
    duties = by_urgency(present([row.obligation(case) for row in top], today))
    return {"case": case, "duties": duties, "counts": counts,
            "more": len(urgent) - len(duties)}


@register.inclusion_tag("duties/_closing.html")
def closing_duties(case: Case) -> dict[str, Any]:
    """What closing the case stops, for its confirmation: how many of its duties are overdue
    (the authorities failed) and how many still run. A closed case leaves Needs action and
    its reminders; its duties stay on its duties page, where a complaint can still be
    drafted, and come back if it is reopened."""
    sees_restricted = policy.sees_restricted(case)
    today = timezone.localdate()
    rules: dict[str, frozenset[str]] = {}
    counts = {status: 0 for status in engine.STATUSES}
    for row in services.page_obligations(case):
        if not policy.kind_visible(row.trigger_kind, sees_restricted):
            continue
        if row.profile not in rules:
            rules[row.profile] = _known_rules(row.profile)
        if row.rule_id in rules[row.profile]:
            counts[engine.current_status(row.status, row.due_latest, today)] += 1
    return {"case": case, "breached": counts[engine.BREACHED],
            "pending": counts[engine.PENDING]}
