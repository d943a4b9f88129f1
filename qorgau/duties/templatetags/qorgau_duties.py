"""The Duties panel on the case page."""

from __future__ import annotations

from typing import Any

from django import template

from qorgau.cases.models import Case
from qorgau.cases.taxonomy import RESTRICTED
from qorgau.duties import services
from qorgau.duties.views import by_urgency, present, summary

register = template.Library()


@register.inclusion_tag("duties/_panel.html")
def duties_panel(case: Case) -> dict[str, Any]:
    """What was owed, by whom, by when, and met or breached (one query, shared with the
    risk panel); obligations triggered by restricted events only for those who see them."""
    sees_restricted = getattr(case, "sees_restricted", False)
    duties = by_urgency(present([o for o in services.page_obligations(case)
                                 if sees_restricted or o.trigger.kind not in RESTRICTED]))
    return {"case": case, "duties": duties, "counts": summary(duties)}
