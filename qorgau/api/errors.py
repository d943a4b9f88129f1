"""Every API error is JSON: {"code", "message", "field"} (validation adds "errors", one
such object per problem). No stack traces; bad input is a 4xx, never a 5xx."""

from __future__ import annotations

import json
import logging
from typing import Any

from allauth.core.exceptions import ReauthenticationRequired
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from qorgau.consent.services import ConsentRequired
from qorgau.operations import unavailable

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with its status and stable code, raised by the API's own code."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}
        self.errors = errors


class UnsupportedMediaType(Exception):
    """A body that is not JSON where JSON is expected (raised by the parser)."""


class UnstorableText(ValueError):
    """Text with a NUL character or a lone surrogate (no database stores it)."""


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(value: Any) -> None:
    """Raise UnstorableText if any string (or key) in a JSON value cannot be stored."""
    if isinstance(value, str):
        if not storable(value):
            raise UnstorableText
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list):
        for item in value:
            check_text(item)


def unstorable_body() -> dict[str, Any]:
    return error_body("invalid_text", _("Text may not contain NUL characters or invalid "
                                        "Unicode."))


def too_large_body() -> dict[str, Any]:
    return error_body("too_large", _("The body is too large."))


def error_body(code: str, message: str, field: str | None = None,
               errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    if errors is not None:
        body["errors"] = errors
    return body


def respond(api: NinjaAPI, request: HttpRequest, status: int, body: dict[str, Any],
            headers: dict[str, str] | None = None) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field(loc: Any) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file",
                                               "payload", "data")]
    return ".".join(parts) or None


PYDANTIC_MESSAGES = {
    "missing": "This field is required.",
    "extra_forbidden": "This field is not accepted here.",
}


def _validation(api: NinjaAPI, request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for item in exc.errors:
        kind = str(item.get("type", "invalid"))
        message = PYDANTIC_MESSAGES.get(kind) or str(item.get("msg", "Invalid value."))
        errors.append(error_body(kind, message, _field(item.get("loc", ()))))
    first = errors[0] if errors else error_body("invalid", "Invalid input.")
    return respond(api, request, 422, error_body(
        "invalid", _("Some of the input is not valid."), first["field"], errors))


def _django_validation(api: NinjaAPI, request: HttpRequest,
                       exc: DjangoValidationError) -> HttpResponse:
    errors = []
    if hasattr(exc, "error_dict"):
        for name, items in exc.error_dict.items():
            for item in items:
                for message in item.messages:
                    errors.append(error_body(item.code or "invalid", message,
                                             None if name == "__all__" else name))
    else:
        for item in exc.error_list:
            for message in item.messages:
                errors.append(error_body(item.code or "invalid", message))
    first = errors[0] if errors else error_body("invalid", _("Invalid input."))
    return respond(api, request, 422, error_body("invalid", first["message"], first["field"],
                                                 errors))


def _http_error(api: NinjaAPI, request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, UnsupportedMediaType):
        return respond(api, request, 415, error_body(
            "unsupported_media_type", _("Send the body as application/json.")))
    if isinstance(cause, RequestDataTooBig):
        return respond(api, request, 413, too_large_body())
    if isinstance(cause, UnstorableText):
        return respond(api, request, 422, unstorable_body())
    if isinstance(cause, (json.JSONDecodeError, UnicodeDecodeError, ValueError)):
        return respond(api, request, 400, error_body(
            "malformed_json", _("The body is not valid JSON.")))
    if isinstance(exc, AuthenticationError):
        return respond(api, request, 401, error_body(
            "not_authenticated", _("Send a valid API token (Authorization: Bearer ...)")),
            {"WWW-Authenticate": "Bearer"})
    if exc.status_code == 403 and "CSRF" in exc.message:
        return respond(api, request, 403, error_body(
            "csrf_failed", _("The CSRF check failed; reload the page and try again.")))
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 413: "too_large", 429: "rate_limited"}
    return respond(api, request, exc.status_code, error_body(
        codes.get(exc.status_code, "error"), exc.message))


def install(api: NinjaAPI) -> None:
    def handler(func: Any) -> Any:
        return lambda request, exc: func(api, request, exc)

    api.add_exception_handler(NinjaValidationError, handler(_validation))
    api.add_exception_handler(DjangoValidationError, handler(_django_validation))
    api.add_exception_handler(HttpError, handler(_http_error))
    api.add_exception_handler(ApiError, lambda request, exc: respond(
        api, request, exc.status, error_body(exc.code, exc.message, exc.field, exc.errors),
        exc.headers))
    def consent_required(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(api, request, 403, error_body("consent_required",
                                                     " ".join(exc.messages)))

    api.add_exception_handler(ConsentRequired, consent_required)
    # Read before the parser runs (ninja tests `request.body` first), so not an HttpError.
    api.add_exception_handler(RequestDataTooBig, lambda request, exc: respond(
        api, request, 413, too_large_body()))
    api.add_exception_handler(Http404, lambda request, exc: respond(
        api, request, 404, error_body("not_found", _("Not found."))))
    api.add_exception_handler(PermissionDenied, lambda request, exc: respond(
        api, request, 403, error_body(
            "forbidden", _("You may read this case but not record on it."))))
    api.add_exception_handler(ReauthenticationRequired, lambda request, exc: respond(
        api, request, 401, error_body(
            "reauthentication_required",
            _("Confirm your password or a code again in the browser, then retry."))))

    def database_error(request: HttpRequest, exc: Any) -> HttpResponse:
        """A held case lock, a statement over its time, no free connection: 503 with
        Retry-After (qorgau.operations.unavailable); any other database error is ours."""
        found = unavailable.classify(exc)
        if found is None:
            return server_error(request, exc)
        logger.warning("%s on %s %s: %s", found.code, request.method, request.path, exc)
        return respond(api, request, 503, unavailable.api_body(found),
                       {"Retry-After": str(found.retry_after)})

    api.add_exception_handler(OperationalError, database_error)

    def server_error(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return respond(api, request, 500, error_body(
            "server_error", _("Something went wrong on our side; nothing was recorded.")))

    api.add_exception_handler(Exception, server_error)
