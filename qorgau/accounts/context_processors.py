"""Discreet mode: a neutral product name and title for survivor-facing use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qorgau.accounts.models import CASE_ROLES, INSIGHT_ROLES, request_memberships

NEUTRAL_NAME = "Notes"


def discretion(request: HttpRequest) -> dict[str, Any]:
    # Discreet mode, and whether the accountability figures are for them (no query when
    # the view already read the memberships).
    rows = request_memberships(request).values()
    discreet = any(d for _role, d in rows)
    sees_insights = any(role in INSIGHT_ROLES for role, _d in rows)
    return {
        "discreet": discreet,
        "sees_insights": sees_insights,
        # Casework menus (Today, New case) only for those who work on cases, not monitors.
        "works_cases": any(role in CASE_ROLES for role, _d in rows),
        "product_name": NEUTRAL_NAME if discreet else "Qorgau",
        "quick_exit_url": settings.QORGAU_QUICK_EXIT_URL,
    }
