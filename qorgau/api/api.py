"""The API at /api/v1/: one NinjaAPI, its routers, error handlers and documented errors."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser

from qorgau.api import errors
from qorgau.api.auth import record_token_use, refuse_unstorable_text
from qorgau.api.idempotency import idempotent
from qorgau.api.routers import bundles, casefile, cases, evidence, insights, records

# Every operation may answer these, each with the Error body.
ERROR_STATUSES = {
    "400": "Malformed request (not JSON, a bad cursor).",
    "401": "No valid token or session.",
    "403": "The token lacks the scope, or you may only read this case.",
    "404": "No such case for you (or no such record in it).",
    "409": "Conflicts with the record's current state.",
    "413": "The upload is too large.",
    "415": "The body is not JSON.",
    "422": "The input does not validate; `errors` lists each problem.",
    "429": "Too many requests with this token; see Retry-After.",
    "503": "Try again after Retry-After: the case is being changed by someone else, or "
           "the database is busy.",
}


class JsonParser(Parser):
    """Bodies must be JSON (a form post or plain text is refused with 415), and text in
    them storable (no NUL character, no lone surrogate)."""

    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type != "application/json":
            raise errors.UnsupportedMediaType(request.content_type)
        data = json.loads(request.body)
        errors.check_text(data)
        return data


class QorgauAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        ref = {"$ref": "#/components/schemas/Error"}
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
            _error_schema())
        for path in schema["paths"].values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    responses.setdefault(status, {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    })
        return schema


def _error_schema() -> dict[str, Any]:
    from qorgau.api.schemas import Error

    schema = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    for name, item in defs.items():  # ErrorItem is inlined to keep one component
        del name
        schema["properties"]["errors"]["anyOf"][0]["items"] = item
    return schema


api = QorgauAPI(
    title="Qorgau API",
    version="1",
    description=(
        "Cases, their timelines and what the authorities owed. Same rules as the pages: a "
        "case you are not assigned to does not exist (404). Authenticate with a personal "
        "access token (`Authorization: Bearer qg_...`) created on the API tokens page."
    ),
    urls_namespace="api",
    parser=JsonParser(),
    docs_url="/docs",
)
errors.install(api)
api.add_decorator(refuse_unstorable_text, mode="view")
api.add_decorator(idempotent, mode="view")  # inside record_token_use: its trail stays
api.add_decorator(record_token_use, mode="view")
for area in (cases, evidence, bundles, casefile, records, insights):
    api.add_router("/", area.router)


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
    """A path under /api/ that names no operation: 404 in the API's JSON error shape."""
    from django.utils.translation import gettext as _

    return errors.respond(api, request, 404, errors.error_body(
        "not_found", _("No such API route. The routes are listed at /api/v1/docs.")))
