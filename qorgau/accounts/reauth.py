"""Sensitive steps ask again for the password or a code (exports, bundles, originals)."""

from __future__ import annotations

from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.http import HttpRequest


def require_recent_login(request: HttpRequest) -> None:
    """Raise unless the user logged in or re-authenticated within
    ACCOUNT_REAUTHENTICATION_TIMEOUT. Call after the case check (so outsiders still get
    404); allauth's middleware sends the user to confirm and then replays the request,
    a POST included."""
    if is_reauthentication_required(request, app=""):
        raise ReauthenticationRequired()
