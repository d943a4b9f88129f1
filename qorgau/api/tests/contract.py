"""Every API response a test sees is checked against the published OpenAPI schema."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema
from django.test import Client

from qorgau.api.api import api

PREFIX = "/api/v1/"


@cache
def openapi() -> dict[str, Any]:
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix=PREFIX)))


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in openapi()["paths"]:
        regex = re.sub(r"\{[^/]+\}", "[^/]+", re.escape(template).replace(r"\{", "{")
                       .replace(r"\}", "}"))
        found.append((re.compile(f"^{regex}$"), template))
    return found


def operation(method: str, path: str) -> dict[str, Any]:
    for regex, template in _templates():
        if regex.match(path):
            operations = openapi()["paths"][template]
            assert method.lower() in operations, f"{method} {path} is not in the schema"
            return operations[method.lower()]
    raise AssertionError(f"{path} is not in the schema")


def check(method: str, path: str, response: Any) -> None:
    """The response's status is documented for the operation and its body fits."""
    responses = operation(method, path)["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method} {path}: status {status} is not documented"
    content = responses[status].get("content")
    if not content:
        return
    media = response["Content-Type"].split(";")[0]
    assert media in content, f"{method} {path}: {media} is not documented for {status}"
    schema = content[media].get("schema")
    if schema is None or media != "application/json":
        return
    body = json.loads(response.content)
    jsonschema.Draft202012Validator(
        {**schema, "components": openapi()["components"]}).validate(body)


class ApiClient:
    """A Django test client that sends the token and validates every answer."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        path = path if path.startswith("/") else PREFIX + path
        caller = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": {**self.headers, **extra.pop("headers", {})}}
        if method in ("POST", "PATCH", "PUT") and "content_type" not in extra:
            kwargs["content_type"] = "application/json"
        if data is not None and method in ("POST", "PATCH", "PUT") and \
                kwargs.get("content_type") == "application/json":
            data = json.dumps(data)
        response = caller(path, data, **kwargs, **extra)
        check(method, path.split("?")[0], response)
        return response

    def get(self, path: str, params: Any = None, **extra: Any) -> Any:
        return self._call("GET", path, params, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("POST", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("PATCH", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("DELETE", path, data, **extra)
