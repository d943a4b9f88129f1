"""The Duties panel on the case page."""

from __future__ import annotations

from typing import Any

from django import template

from qorgau.cases.models import Case
from qorgau.duties import services
from qorgau.duties.views import by_urgency, present, summary

register = template.Library()


@register.inclusion_tag("duties/_panel.html")
def duties_panel(case: Case) -> dict[str, Any]:
    """What was owed, by whom, by when, and met or breached (one query)."""
    duties = by_urgency(present(services.visible_obligations(case)))
    return {"case": case, "duties": duties, "counts": summary(duties)}
