"""The proceedings panel on the case page: the detention clock and the flags."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from qorgau.cases.models import Case
from qorgau.proceedings import services
from qorgau.proceedings.models import Proceeding

register = template.Library()


@register.inclusion_tag("proceedings/_panel.html")
def proceedings_panel(case: Case) -> dict[str, Any]:
    rows = []
    for proceeding in Proceeding.objects.filter(case=case).exclude(status="closed"):
        picture = services.picture(proceeding)
        rows.append((proceeding, picture.clock, [f.text(_) for f in picture.flags]))
    return {"case": case, "rows": rows}
