"""Sensitive steps ask again for the password or a code (exports, bundles, originals)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest


def require_recent_login(request: HttpRequest) -> None:
    """Raise unless the user logged in or re-authenticated within
    ACCOUNT_REAUTHENTICATION_TIMEOUT. Call after the case check (so outsiders still get
    404); allauth's middleware sends the user to confirm and then replays the request,
    a POST included."""
    _check_recent_login(request)


@reauthentication_required
def _check_recent_login(request: HttpRequest) -> None:
    """Nothing: allauth's public decorator raises ReauthenticationRequired before it (an
    anonymous user, or no password or code within the timeout; AccountAdapter decides)."""
