"""A fast yes/no check of a document against a JSON Schema, for the keywords the case file's
schema uses. Pure: no Django.

jsonschema walks a case file at about a millisecond per event, to find every problem with
its path. Almost every file has none, so the importer first asks this check, compiled once
into nested closures, and only a file it refuses goes through jsonschema for the messages.
It answers as jsonschema's Draft 2020-12 validator (without a format checker) does; a
property test holds the two together, and a schema with any other keyword is refused when
compiled, so the check cannot quietly ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords that only describe (and "format", which Draft 2020-12 only annotates).
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "format"})
KEYWORDS = frozenset({"type", "enum", "const", "required", "properties",
                      "additionalProperties", "items", "$ref", "$defs", "pattern",
                      "minLength", "maxLength", "minimum"}) | ANNOTATIONS


def _is_integer(value: Any) -> bool:
    kind = type(value)
    return (kind is not bool and isinstance(value, int)) or (
        isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return type(value) is not bool and isinstance(value, int | float)


TYPES: dict[str, Check] = {
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "integer": _is_integer,
    "null": lambda value: value is None,
    "number": _is_number,
    "object": lambda value: isinstance(value, dict),
    "string": lambda value: isinstance(value, str),
}


class UnsupportedSchema(ValueError):
    """The schema uses something this check does not implement."""


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """A function telling whether a document is valid against `schema`."""
    definitions = schema.get("$defs", {})
    compiled: dict[str, Check] = {}

    def reference(ref: str) -> Check:
        name = ref.removeprefix("#/$defs/")
        if name == ref or name not in definitions:
            raise UnsupportedSchema(f"unsupported $ref {ref!r}")

        def check(value: Any) -> bool:
            return compiled[name](value)
        return check

    def build(node: Mapping[str, Any]) -> Check:
        unknown = set(node) - KEYWORDS
        if unknown:
            raise UnsupportedSchema(f"unsupported keywords {sorted(unknown)}")
        checks: list[Check] = []
        if "type" in node:
            names = node["type"] if isinstance(node["type"], list) else [node["type"]]
            kinds = [TYPES[name] for name in names]
            if len(kinds) == 1:
                checks.append(kinds[0])
            else:
                checks.append(lambda value: any(kind(value) for kind in kinds))
        if "enum" in node:
            if not all(isinstance(item, str) for item in node["enum"]):
                raise UnsupportedSchema("only enums of strings are supported")
            allowed = frozenset(node["enum"])
            checks.append(lambda value: isinstance(value, str) and value in allowed)
        if "const" in node:
            checks.append(_const(node["const"]))
        if "pattern" in node:
            search = re.compile(node["pattern"]).search
            checks.append(lambda value: not isinstance(value, str) or bool(search(value)))
        if "minLength" in node:
            shortest = node["minLength"]
            checks.append(lambda value: not isinstance(value, str) or len(value) >= shortest)
        if "maxLength" in node:
            longest = node["maxLength"]
            checks.append(lambda value: not isinstance(value, str) or len(value) <= longest)
        if "minimum" in node:
            least = node["minimum"]
            checks.append(lambda value: not _is_number(value) or value >= least)
        if "required" in node or "properties" in node or "additionalProperties" in node:
            checks.append(_object(node, build))
        if "items" in node:
            item = build(node["items"])
            checks.append(lambda value: not isinstance(value, list)
                          or all(item(element) for element in value))
        if "$ref" in node:
            checks.append(reference(node["$ref"]))
        return _every(checks)

    for name, definition in definitions.items():
        compiled[name] = build(definition)
    return build(schema)


def _every(checks: list[Check]) -> Check:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    first, rest = checks[0], _every(checks[1:])
    return lambda value: first(value) and rest(value)


def _const(expected: Any) -> Check:
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    if type(expected) is int:
        return lambda value: _is_number(value) and value == expected
    raise UnsupportedSchema("only string and integer constants are supported")


def _object(node: Mapping[str, Any], build: Callable[[Mapping[str, Any]], Check]) -> Check:
    required = tuple(node.get("required", ()))
    properties = {name: build(sub) for name, sub in node.get("properties", {}).items()}
    additional = node.get("additionalProperties", True)
    if additional not in (True, False):
        raise UnsupportedSchema("additionalProperties must be true or false")
    closed = additional is False

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None:
                if closed:
                    return False
            elif not sub(item):
                return False
        return True
    return check
