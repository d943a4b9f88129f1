"""The Escalate box: how many of the case's breached duties a complaint covers, and why
the others are not in it (so the duties page and the letter never disagree silently)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import template

from qorgau.duties import engine, services
from qorgau.duties.models import Obligation
from qorgau.duties.views import Duty

register = template.Library()


@register.simple_tag
def complaint_scope(duties: list[Duty], obligations: list[Obligation]) -> dict[str, Any]:
    """{covered, breached, other, others: [(bearer, n)], restricted}: the duties the
    complaint covers (those it would be drafted from), the breached duties on the page, and
    the rest by whom they are owed."""
    covered = {o.pk for o in services.letter_obligations(obligations)}
    breached = [d for d in duties if d.status == engine.BREACHED]
    rest = [d for d in breached if d.row.pk not in covered]
    others = Counter(d.bearer for d in rest if d.escalation is None)
    skipped = sum(1 for d in rest if d.escalation is not None)
    return {"covered": len(covered), "breached": len(breached), "other": len(rest),
            "others": sorted(others.items(), key=lambda item: (-item[1], item[0])),
            "not_by_letter": skipped}
