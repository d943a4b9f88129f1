"""Risk instruments as data: load and validate `instruments/<id>.yaml`. Pure: no Django.

Checked against `instruments/instrument.schema.json`, then for what a schema cannot say:
item ids unique, conditions naming existing items, suggestion kinds in the taxonomy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qorgau.cases import taxonomy

Text = Mapping[str, str]


class InstrumentError(ValueError):
    def __init__(self, file: str, path: str, reason: str) -> None:
        super().__init__(f"{file}: {path or '(top)'}: {reason}")
        self.file, self.path, self.reason = file, path, reason


def text_in(text: Text | None, language: str) -> str:
    if not text:
        return ""
    return text.get(language.split("-")[0]) or text["en"]


@dataclass(frozen=True)
class Suggestion:
    kinds: frozenset[str]
    attributes: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    recurring_years: int | None = None


@dataclass(frozen=True)
class Item:
    id: str
    text: Text
    weight: int = 1
    evidence: str = ""
    suggested_by: Suggestion | None = None
    label: Text | None = None  # a short name of the factor


@dataclass(frozen=True)
class Level:
    id: str
    title: Text
    when: Mapping[str, Any] | None  # None: the floor
    action: Text | None = None


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: Text
    validated: bool
    notice: Text | None
    licence: Mapping[str, Any]
    sources: tuple[str, ...]
    scoring_confirmed: bool
    unconfirmed: Text | None
    items: tuple[Item, ...]
    levels: tuple[Level, ...]

    @property
    def text_included(self) -> bool:
        return bool(self.licence["text_included"])

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def rank(self, level_id: str) -> int:
        return [level.id for level in self.levels].index(level_id)


def _json_path(parts: Any) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _conditions(condition: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    for key, value in condition.items():
        if key in ("any_of", "all_of"):
            for i, inner in enumerate(value):
                yield from _conditions(inner, f"{path}.{key}[{i}]")
        else:
            yield f"{path}.{key}", value


def read(path: Path, directory: Path) -> Instrument:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise InstrumentError(name, "", f"cannot read the file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise InstrumentError(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"
                              ) from exc
    if not isinstance(data, dict):
        raise InstrumentError(name, "", "an instrument must be a mapping of keys to values")
    schema = json.loads((directory / "instrument.schema.json").read_text("utf-8"))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data),
                    key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors) or errors[0]
        raise InstrumentError(name, _json_path(error.absolute_path), error.message)
    if data["id"] != path.stem:
        raise InstrumentError(name, "id", f"the id {data['id']!r} must match the file name")
    ids: set[str] = set()
    for i, item in enumerate(data["items"]):
        if item["id"] in ids:
            raise InstrumentError(name, f"items[{i}].id", f"item id {item['id']!r} is used twice")
        ids.add(item["id"])
        for kind in (item.get("suggested_by") or {}).get("kinds", ()):
            if kind not in taxonomy.BY_ID:
                raise InstrumentError(name, f"items[{i}].suggested_by.kinds",
                                      f"unknown event kind {kind!r}")
    level_ids: set[str] = set()
    for i, level in enumerate(data["levels"]):
        at = f"levels[{i}]"
        if level["id"] in level_ids:
            raise InstrumentError(name, f"{at}.id", f"level id {level['id']!r} is used twice")
        level_ids.add(level["id"])
        if (i == 0) != ("when" not in level):
            raise InstrumentError(name, at, "the first level, and only it, has no condition")
        for where, value in _conditions(level.get("when") or {}, f"{at}.when"):
            listed = value if isinstance(value, list) else (value or {}).get("items", [])
            unknown = [item for item in listed if item not in ids]
            if unknown:
                raise InstrumentError(name, where, f"unknown item {unknown[0]!r}")
    if data.get("scoring_confirmed") is False and not data.get("unconfirmed"):
        raise InstrumentError(name, "unconfirmed", "say what is not confirmed about the scoring")
    if not data["licence"]["text_included"] and not data["licence"].get("permission"):
        raise InstrumentError(name, "licence.permission",
                              "a licensed instrument must say whose permission is needed")
    return _build(data)


def _build(data: Mapping[str, Any]) -> Instrument:
    items = []
    for raw in data["items"]:
        hint = raw.get("suggested_by")
        suggestion = Suggestion(
            kinds=frozenset(hint["kinds"]),
            attributes={k: tuple(v) for k, v in (hint.get("attributes") or {}).items()},
            recurring_years=hint.get("recurring_years"),
        ) if hint else None
        items.append(Item(raw["id"], raw["text"], raw.get("weight", 1),
                          raw.get("evidence", ""), suggestion, raw.get("label")))
    return Instrument(
        id=data["id"], version=data["version"], title=data["title"],
        validated=data["validated"], notice=data.get("notice"), licence=data["licence"],
        sources=tuple(data["sources"]), scoring_confirmed=data.get("scoring_confirmed", True),
        unconfirmed=data.get("unconfirmed"), items=tuple(items),
        levels=tuple(Level(lv["id"], lv["title"], lv.get("when"), lv.get("action"))
                     for lv in data["levels"]),
    )


def available(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def load_all(directory: Path) -> dict[str, Instrument]:
    return {iid: read(directory / f"{iid}.yaml", directory) for iid in available(directory)}


@cache
def cached(instrument_id: str, directory: str) -> Instrument:
    return read(Path(directory) / f"{instrument_id}.yaml", Path(directory))
