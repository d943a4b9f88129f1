"""Discreet mode: a neutral product name and title for survivor-facing use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qorgau.accounts.models import INSIGHT_ROLES

NEUTRAL_NAME = "Notes"


def discretion(request: HttpRequest) -> dict[str, Any]:
    discreet = sees_insights = False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # One query: discreet mode, and whether the accountability figures are for them.
        rows = list(user.memberships.values_list("organisation__discreet", "role"))
        discreet = any(d for d, _role in rows)
        sees_insights = any(role in INSIGHT_ROLES for _d, role in rows)
    return {
        "discreet": discreet,
        "sees_insights": sees_insights,
        "product_name": NEUTRAL_NAME if discreet else "Qorgau",
        "quick_exit_url": settings.QORGAU_QUICK_EXIT_URL,
    }
