"""The page chrome: discreet mode (qorgau.accounts.discretion), the menus a person sees."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from qorgau.accounts import discretion as mode
from qorgau.accounts.models import CASE_ROLES, INSIGHT_ROLES, Role, request_memberships


def discretion(request: HttpRequest) -> dict[str, Any]:
    # Discreet mode, and whether the accountability figures are for them (no query when
    # the view already read the memberships).
    rows = request_memberships(request).values()
    member_discreet = any(d for _role, d in rows)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    discreet = member_discreet if signed_in else mode.login_is_discreet(request)
    # Read by DiscreetMiddleware: the device cookie, and the backstop on the page.
    request._qorgau_discreet = discreet  # type: ignore[attr-defined]
    if member_discreet:
        request._qorgau_discreet_member = True  # type: ignore[attr-defined]
    return {
        "discreet": discreet,
        "sees_insights": any(role in INSIGHT_ROLES for role, _d in rows),
        # Casework menus (Today, New case) only for those who work on cases, not monitors.
        "works_cases": any(role in CASE_ROLES for role, _d in rows),
        # The team's caseloads (duties.views.team): supervisors and administrators.
        "leads_team": any(role in ("supervisor", "admin") for role, _d in rows),
        # The organisation settings page (the discreet switch) for administrators.
        "administers": any(role == Role.ADMIN for role, _d in rows),
        "product_name": mode.product_name(discreet),
        "quick_exit_url": settings.QORGAU_QUICK_EXIT_URL,
    }

