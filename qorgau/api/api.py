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
from qorgau.api.routers import (
    bundles,
    casefile,
    cases,
    evidence,
    insights,
    lock,
    narratives,
    records,
)

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
        _add_links(schema)
        return schema


# OpenAPI links: what an answer names (a new record's id, a case's reference) and the
# operations that take it, so a client (or a fuzzer following links) can go on from it.
# (method, path of the operation that answers, status) -> [(method, path it leads to,
# {parameter: expression})]
ON_CASE = {"ref": "$request.path.ref"}
LINKS: dict[tuple[str, str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("post", "/cases", "201"): [
        ("get", "/cases/{ref}", {"ref": "$response.body#/reference"}),
        ("get", "/cases/{ref}/parties", {"ref": "$response.body#/reference"}),
        ("post", "/cases/{ref}/events", {"ref": "$response.body#/reference"}),
    ],
    ("post", "/casefile", "201"): [
        ("get", "/cases/{ref}", {"ref": "$response.body#/reference"}),
        ("get", "/cases/{ref}/events", {"ref": "$response.body#/reference"}),
    ],
    ("post", "/cases/{ref}/parties", "201"): [
        ("patch", "/cases/{ref}/parties/{party_id}",
         {**ON_CASE, "party_id": "$response.body#/id"}),
    ],
    ("post", "/cases/{ref}/events", "201"): [
        ("get", "/cases/{ref}/events/{number}", {**ON_CASE, "number": "$response.body#/number"}),
        ("post", "/cases/{ref}/events/{number}/corrections",
         {**ON_CASE, "number": "$response.body#/number"}),
    ],
    ("post", "/cases/{ref}/events/{number}/corrections", "201"): [
        ("get", "/cases/{ref}/events/{number}", {**ON_CASE, "number": "$response.body#/number"}),
        ("post", "/cases/{ref}/events/{number}/corrections",
         {**ON_CASE, "number": "$response.body#/number"}),
    ],
    ("post", "/cases/{ref}/exhibits", "201"): [
        ("get", "/cases/{ref}/exhibits/{number}", {**ON_CASE, "number": "$response.body#/number"}),
        ("post", "/cases/{ref}/exhibits/{number}/original",
         {**ON_CASE, "number": "$response.body#/number"}),
    ],
    ("post", "/cases/{ref}/bundles", "202"): [
        ("get", "/cases/{ref}/bundles/{bundle_id}", {**ON_CASE, "bundle_id": "$response.body#/id"}),
        ("post", "/cases/{ref}/bundles/{bundle_id}/download",
         {**ON_CASE, "bundle_id": "$response.body#/id"}),
    ],
    ("post", "/cases/{ref}/proceedings", "201"): [
        ("patch", "/cases/{ref}/proceedings/{proceeding_id}",
         {**ON_CASE, "proceeding_id": "$response.body#/id"}),
        ("post", "/cases/{ref}/proceedings/{proceeding_id}/steps",
         {**ON_CASE, "proceeding_id": "$response.body#/id"}),
    ],
    ("post", "/cases/{ref}/proceedings/{proceeding_id}/steps", "201"): [
        ("patch", "/cases/{ref}/proceedings/{proceeding_id}",
         {**ON_CASE, "proceeding_id": "$response.body#/id"}),
        ("get", "/cases/{ref}/events/{number}", {**ON_CASE, "number": "$response.body#/events/0"}),
    ],
    ("post", "/cases/{ref}/narratives", "202"): [
        ("get", "/cases/{ref}/narratives/{narrative_id}",
         {**ON_CASE, "narrative_id": "$response.body#/id"}),
        ("get", "/cases/{ref}/narratives/{narrative_id}/proposals",
         {**ON_CASE, "narrative_id": "$response.body#/id"}),
        ("post", "/cases/{ref}/narratives/{narrative_id}/review",
         {**ON_CASE, "narrative_id": "$response.body#/id"}),
    ],
    ("get", "/insights/metrics", "200"): [
        ("get", "/insights/metrics/{metric_id}", {"metric_id": "$response.body#/0"}),
    ],
}


def _add_links(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    prefix = next(p for p in paths if p.endswith("/cases/{ref}")).removesuffix("/cases/{ref}")
    for (method, path, status), targets in LINKS.items():
        responses = paths[prefix + path][method]["responses"]
        response = responses.get(status) or responses[int(status)]
        links = response.setdefault("links", {})
        for target_method, target_path, parameters in targets:
            target = paths[prefix + target_path][target_method]
            links[target["operationId"]] = {"operationId": target["operationId"],
                                            "parameters": parameters}


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
for area in (cases, evidence, bundles, casefile, records, insights, lock):
    api.add_router("/", area.router)
api.add_router("/", narratives.router)


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
    """A path under /api/ that names no operation: 404 in the API's JSON error shape."""
    from django.utils.translation import gettext as _

    return errors.respond(api, request, 404, errors.error_body(
        "not_found", _("No such API route. The routes are listed at /api/v1/docs.")))
