"""Discreet mode: a neutral product name and title for survivor-facing use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

NEUTRAL_NAME = "Notes"


def discretion(request: HttpRequest) -> dict[str, Any]:
    discreet = False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        discreet = user.memberships.filter(organisation__discreet=True).exists()
    return {
        "discreet": discreet,
        "product_name": NEUTRAL_NAME if discreet else "Qorgau",
        "quick_exit_url": settings.QORGAU_QUICK_EXIT_URL,
    }
