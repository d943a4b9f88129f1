"""Who calls the API: a personal access token with the operation's scope, or a browser
session that passed the second factor (CSRF-checked like every form)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from qorgau.accounts.middleware import MFA_CHECKED
from qorgau.api import tokens
from qorgau.api.errors import ApiError, storable, unstorable_body
from qorgau.api.models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer qg_...` with the scope the operation needs."""

    openapi_scheme = "bearer"

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.find_token(token.strip())
        if found is None:
            raise ApiError(401, "invalid_token",
                           _("This token is unknown, expired or revoked."))
        wait = tokens.over_limit(found)
        if wait:
            raise ApiError(429, "rate_limited",
                           _("Too many requests with this token; wait a minute."),
                           headers={"Retry-After": str(wait)})
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        if self.scope not in found.scopes:
            raise ApiError(403, "scope_missing",
                           _("This token lacks the “%(scope)s” scope.") % {"scope": self.scope})
        return found


def _csrf_ok(request: HttpRequest) -> bool:
    def ok(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    check = CsrfViewMiddleware(ok)
    request.csrf_processing_done = False  # type: ignore[attr-defined]
    return check.process_view(request, ok, (), {}) is None


class SessionAuth(APIKeyCookie):
    """The logged-in browser (the docs page, scripts in the UI). Unsafe methods need the
    CSRF token, as forms do."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not request.session.get(MFA_CHECKED):
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok(request):
            raise ApiError(403, "csrf_failed",
                           _("The CSRF check failed; reload the page and try again."))
        return user


def needs(scope: str) -> list[Any]:
    return [TokenAuth(scope), SessionAuth()]


def record_token_use(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every request made with a token goes on its owner's trail, with its answer."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = run(request, *args, **kwargs)
        token = getattr(request, "api_token", None)
        if token is not None:
            tokens.record_use(token, request.method or "", request.path,
                              response.status_code)
        return response

    return wrapped


def refuse_unstorable_text(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A path or query with a NUL character or invalid Unicode is bad input (422), not a
    database error."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        texts = [request.path, *request.GET.keys(),
                 *(v for values in request.GET.lists() for v in values[1])]
        if not all(storable(t) for t in texts):
            return HttpResponse(json.dumps(unstorable_body()), status=422,
                                content_type="application/json; charset=utf-8")
        return run(request, *args, **kwargs)

    return wrapped


def via_session(request: HttpRequest) -> bool:
    return getattr(request, "api_token", None) is None
