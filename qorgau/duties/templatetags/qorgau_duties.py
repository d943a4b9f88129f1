"""The Duties panel on the case page."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from qorgau.cases.models import Case
from qorgau.duties import engine, services
from qorgau.duties.views import by_urgency, present

register = template.Library()


@register.inclusion_tag("duties/_panel.html")
def duties_panel(case: Case) -> dict[str, Any]:
    """How many duties are breached, pending and met, and the most urgent of them (shared
    with the risk panels); obligations triggered by restricted events only for those who
    see them, and none whose rule left the profile (as on the duties page)."""
    page = services.page_duties(case)
    counts = page.counts()
    duties = by_urgency(present([row.obligation(case) for row in page.urgent],
                                timezone.localdate()))
    # The rows' addresses from one reverse() each, not two a row.
    duties_url = reverse("duties:case", args=[case.reference])
    event_head = reverse("cases:event_detail", args=[case.reference, 0]).removesuffix("/0/")
    rows = [(duty, f"{duties_url}#duty-{duty.row.pk}",
             f"{event_head}/{duty.row.trigger.number}/") for duty in duties]
    return {"case": case, "duties": duties, "rows": rows, "counts": counts,
            "duties_url": duties_url, "more": sum(counts.values()) - len(duties)}


@register.inclusion_tag("duties/_closing.html")
def closing_duties(case: Case) -> dict[str, Any]:
    """What closing the case stops, for its confirmation: how many of its duties are overdue
    (the authorities failed) and how many still run. A closed case leaves Needs action and
    its reminders; its duties stay on its duties page, where a complaint can still be
    drafted, and come back if it is reopened."""
    counts = services.page_duties(case).counts()
    return {"case": case, "breached": counts[engine.BREACHED],
            "pending": counts[engine.PENDING]}
