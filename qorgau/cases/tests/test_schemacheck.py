"""The fast schema check answers as jsonschema does, on the case file's schema."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.cases import casefile, schemacheck

SCHEMA = casefile.build_schema()
EXAMPLE = json.loads(re.findall(r"```json\n(.*?)```", (
    Path(casefile.SCHEMA_PATH).parent / "case-file.md").read_text(encoding="utf-8"),
    flags=re.DOTALL)[0])
CHECK = schemacheck.compile_schema(SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _strings_of(node: Any) -> set[str]:
    """Every string the schema allows somewhere (enum values and constants)."""
    found: set[str] = set()
    if isinstance(node, dict):
        found |= {v for v in node.get("enum", []) if isinstance(v, str)}
        if isinstance(node.get("const"), str):
            found.add(node["const"])
        for value in node.values():
            found |= _strings_of(value)
    elif isinstance(node, list):
        for value in node:
            found |= _strings_of(value)
    return found


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.sampled_from([0.0, 1.0, 2.5, -1.0]),
    st.sampled_from(sorted(_strings_of(SCHEMA))),
    st.sampled_from(["", " ", "p1", "p9", "2024-13", "2024-01-05", "2024-01-05T10:30",
                     "bad key!", "x" * 201, "x" * 200, "x" * 33]),
    st.text(max_size=5),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["key", "role", "party", "target", "kind", "start",
                                     "extra"]), inner, max_size=3)), max_leaves=6)


@st.composite
def mutants(draw: st.DrawFn) -> Any:
    """The documented example with a few places replaced, removed or added to."""
    document = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        if not path:
            if draw(st.booleans()):
                return draw(VALUES)
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(["extra", "key", "role", "note"]))] = (
                draw(VALUES))
        elif isinstance(parent[path[-1]], list):
            parent[path[-1]].append(draw(VALUES))
    return document


def test_the_documented_example_passes():
    assert CHECK(EXAMPLE) and VALIDATOR.is_valid(EXAMPLE)


@settings(max_examples=600, deadline=None)
@given(mutants())
def test_the_check_agrees_with_jsonschema(document):
    assert CHECK(document) == VALIDATOR.is_valid(document)


@pytest.mark.parametrize("schema", [
    {"type": "object", "patternProperties": {"^a": {}}},
    {"$ref": "#/$defs/missing"},
    {"$ref": "other.json#/x"},
    {"enum": [1, 2]},
    {"const": 1.5},
    {"additionalProperties": {"type": "string"}},
])
def test_a_keyword_it_does_not_implement_is_refused(schema):
    with pytest.raises(schemacheck.UnsupportedSchema):
        schemacheck.compile_schema(schema)


def test_what_the_check_refuses_is_reported_by_jsonschema():
    document = copy.deepcopy(EXAMPLE)
    document["events"][0]["kind"] = "nonsense"
    assert not CHECK(document)
    assert [str(p) for p in casefile.schema_problems(document)] == [
        '$.events[0].kind: "nonsense" is not one of the allowed values.']


TRICKY = [None, True, False, 0, 1, 2, -1, 0.0, 1.0, 1.5, 2**60, "", " ", "p1", "kz",
          "open", "closed", "erased", "2024", "2024-1", "2024-01-05T10:30", "x" * 200,
          "x" * 201, "x" * 32, "x" * 33, "qorgau.case-file", [], [1], {}, {"key": "p1"}]


def test_the_check_agrees_with_jsonschema_on_every_single_replacement():
    """Each place of the example (and one added key at each object) set to each tricky
    value: both must give the same answer."""
    tried = disagreements = 0
    for path in _paths(EXAMPLE):
        if not path:
            continue
        for value in TRICKY:
            document = copy.deepcopy(EXAMPLE)
            parent = document
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = value
            tried += 1
            disagreements += CHECK(document) != VALIDATOR.is_valid(document)
    assert tried > 1000 and disagreements == 0
