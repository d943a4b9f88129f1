"""Shared helpers of the API routers: the case check, cursors, ledgered reads."""

from __future__ import annotations

import base64
import binascii

from django.http import HttpRequest
from django.utils.translation import gettext as _

from qorgau.accounts.reauth import require_recent_login
from qorgau.api.auth import via_session
from qorgau.api.errors import ApiError
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.models import Case


def case_for(request: HttpRequest, ref: str, write: bool = False) -> Case:
    """The same rule as the pages: assigned with a case role, else 404 (403 to a
    read-only assignee asking to write)."""
    return get_case_for_user(request, ref, write=write)


def viewed(case: Case, request: HttpRequest, what: str) -> None:
    """A read of case data, on the case's ledger like a page view."""
    case_services.record_view(case, request.user, f"api:{what}")  # type: ignore[arg-type]


def recent_login(request: HttpRequest) -> None:
    """Sensitive steps ask a browser session for a recent login, as the pages do; a token
    was itself created from a recent login, and is the credential here."""
    if via_session(request):
        require_recent_login(request)


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, value = raw.split(":", 1)
        if tag != "v1":
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "bad_cursor", _("This cursor is not one the API gave out."),
                       "cursor") from None

