"""The proceedings panel on the case page: the detention clock and the flags."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from qorgau.cases.models import Case
from qorgau.proceedings import services
from qorgau.proceedings.models import Proceeding

register = template.Library()


PANEL_PROCEEDINGS = 5  # the proceedings page has them all


@register.inclusion_tag("proceedings/_panel.html")
def proceedings_panel(case: Case) -> dict[str, Any]:
    """The open proceedings (the first few), each with its detention clock and flags."""
    rows: list[tuple[Proceeding, Any, list[str]]] = []
    found = list(Proceeding.objects.filter(case=case).exclude(status="closed")
                 .order_by("pk")[:PANEL_PROCEEDINGS + 1])
    for proceeding in found[:PANEL_PROCEEDINGS]:
        picture = services.picture(proceeding)
        rows.append((proceeding, picture.clock, [f.text(_) for f in picture.flags]))
    return {"case": case, "rows": rows, "more": len(found) > PANEL_PROCEEDINGS}
