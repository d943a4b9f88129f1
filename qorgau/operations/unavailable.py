"""A database that cannot answer now is a 503 with Retry-After, never a 500 or a worker
timeout: a lock held by another writer of the same case (lock_timeout, 55P03), a statement
over statement_timeout (57014), no connection to be had (too many connections, 53300; the
server restarting or unreachable). Pages get a short page, the API its JSON error."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.signals import got_request_exception
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"
# The connection could not be had or was lost: too many connections, out of resources,
# the server shutting down or starting, or a connection exception (class 08).
UNREACHABLE = ("53300", "53000", "57P01", "57P02", "57P03")


@dataclass(frozen=True)
class Unavailable:
    code: str  # the API's error code
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        if self.code == "case_busy":
            return _("This case is being changed by someone else; try again in a moment.")
        if self.code == "too_slow":
            return _("This is taking too long right now; try again in a moment.")
        return _("The service is busy right now; try again in a moment.")


def classify(exc: BaseException | None) -> Unavailable | None:
    """What a database error means for the person waiting, or None (a real fault)."""
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state == LOCK_NOT_AVAILABLE:
        return Unavailable("case_busy", 5)
    if state == QUERY_CANCELED:
        return Unavailable("too_slow", 10)
    if state in UNREACHABLE or (state or "").startswith("08"):
        return Unavailable("database_unavailable", 10)
    # psycopg raises a failed connection attempt (too many clients, refused, no such
    # database) as a plain OperationalError without a SQLSTATE.
    if state is None and type(cause).__name__ == "OperationalError" and \
            type(cause).__module__.startswith("psycopg"):
        return Unavailable("database_unavailable", 10)
    return None


def api_body(found: Unavailable) -> dict[str, Any]:
    """The API's error body (qorgau.api.errors.error_body's shape)."""
    return {"code": found.code, "message": found.message, "field": None}


def respond(request: HttpRequest, found: Unavailable) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(api_body(found), status=503)
    else:
        # Rendered without the request: no context processor, no session, no query.
        response = HttpResponse(render_to_string("503.html", {"message": found.message}),
                                status=503)
    response["Retry-After"] = str(found.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _note_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """An error raised in a middleware (not the view) reaches only this signal; the
    middleware below then replaces Django's 500 with the 503."""
    found = classify(sys.exc_info()[1])
    if request is not None and found is not None:
        request._qorgau_unavailable = found  # type: ignore[attr-defined]


got_request_exception.connect(_note_exception, dispatch_uid="qorgau-unavailable")


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE, so that it sees what every other layer answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        found = getattr(request, "_qorgau_unavailable", None)
        if found is not None and response.status_code >= 500:
            return respond(request, found)
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        found = classify(exc)
        if found is None:
            return None
        logger.warning("%s on %s %s: %s", found.code, request.method, request.path, exc)
        return respond(request, found)
