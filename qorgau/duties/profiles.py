"""Jurisdiction profiles: load, validate and resolve `profiles/<id>.yaml`. Pure: no Django.

A profile is checked against `profiles/profile.schema.json`, then for what a schema cannot
say: that every duty bearer, source, event kind, overridden rule and letter template it names
exists. Every failure is a ProfileError naming the file, the path inside it and the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qorgau.cases import taxonomy

LANGUAGES = ("en", "ru", "kk")
UNDETERMINED = "undetermined"
_DURATION = re.compile(r"^P(?:(?P<w>\d+)W|(?P<d>\d+)D)?(?:T(?P<h>\d+)H)?$")


class ProfileError(ValueError):
    def __init__(self, file: str, path: str, reason: str) -> None:
        super().__init__(f"{file}: {path or '(top)'}: {reason}")
        self.file, self.path, self.reason = file, path, reason


Text = Mapping[str, str]  # language -> text


def text_in(text: Text | None, language: str) -> str:
    """The text in `language` ("ru-kz" -> "ru"), English if that is missing."""
    if not text:
        return ""
    return text.get(language.split("-")[0]) or text["en"]


def parse_deadline(value: str) -> timedelta | None:
    """ISO 8601 duration (P3D, P2W, PT48H, P1DT12H) as a timedelta; None if undetermined."""
    if value == UNDETERMINED:
        return None
    match = _DURATION.match(value)
    if not match or value in ("P", "PT"):
        raise ValueError(f"not a supported ISO 8601 duration: {value!r}")
    weeks, days, hours = (int(match.group(g) or 0) for g in ("w", "d", "h"))
    return timedelta(weeks=weeks, days=days, hours=hours)


@dataclass(frozen=True)
class Match:
    """Which events count: kinds, optional attribute values and institutions, linkage."""

    kinds: frozenset[str]
    attributes: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    institution: frozenset[str] = frozenset()
    linked: bool = False
    except_attributes: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Match:
        return cls(
            kinds=frozenset(data["kinds"]),
            attributes={k: tuple(v) for k, v in (data.get("attributes") or {}).items()},
            institution=frozenset(data.get("institution") or ()),
            linked=bool(data.get("linked", False)),
            except_attributes={k: tuple(v)
                               for k, v in (data.get("except_attributes") or {}).items()},
        )


@dataclass(frozen=True)
class Trigger(Match):
    linked_to: frozenset[str] = frozenset()
    linked_from: frozenset[str] = frozenset()
    first: bool = False
    preceded_by: Match | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Trigger:
        base = Match.from_data(data)
        return cls(
            kinds=base.kinds, attributes=base.attributes, institution=base.institution,
            except_attributes=base.except_attributes,
            linked_to=frozenset(data.get("linked_to") or ()),
            linked_from=frozenset(data.get("linked_from") or ()),
            first=bool(data.get("first", False)),
            preceded_by=Match.from_data(data["preceded_by"]) if data.get("preceded_by") else None,
        )


# Institutions that can owe a duty arising from their own act (bearer_from_institution).
BEARER_INSTITUTIONS = frozenset({"police", "prosecutor", "court", "social_services", "health",
                                 "shelter"})


@dataclass(frozen=True)
class Check:
    """A claim checked against a primary text: which version, which article, what it says."""

    source: str
    version: str
    article: str
    result: str  # confirmed | partly | differs | not_found
    quote: str = ""
    note: str = ""

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Check:
        return cls(data["source"], data["version"], data["article"], data["result"],
                   data.get("quote", ""), data.get("note", ""))


@dataclass(frozen=True)
class ReasonableTime:
    """When inaction without a statutory deadline stops being reasonable."""

    duration: timedelta
    text: str
    source: str
    note: Text
    confirmed: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    profile: str  # the profile that defines it (may be a parent)
    title: Text
    trigger: Trigger
    duty_bearer: str
    satisfied_by: Match
    not_applicable_if: Match | None
    deadline: timedelta | None  # None: undetermined
    deadline_text: str
    deadline_note: Text | None
    basis: Text
    source: str
    url: str
    confirmed: bool
    unconfirmed: Text | None
    effective_from: date
    effective_to: date | None
    escalation_to: str | None
    escalation_template: str | None
    measures: str | None = None  # which accountability metric it feeds (qorgau.insights)
    checks: tuple[Check, ...] = ()
    refused_by: tuple[Match, ...] = ()  # a recorded refusal or non-response: breached at once
    reasonable_time: ReasonableTime | None = None  # for an undetermined deadline
    bearer_from_institution: bool = False  # the bearer is the trigger's institution
    standing: bool = False  # a framework gap of the legislature
    decision: bool = False  # the trigger is a decision that stands unless found unlawful
    instruments: tuple[str, ...] = ()  # the treaties the duty rests on
    replaces: tuple[str, ...] = ()  # inherited rules it replaces on the events it applies to

    def bearer(self, institution: str) -> str:
        """Who owes the duty arising from an event of `institution`."""
        if self.bearer_from_institution and institution in BEARER_INSTITUTIONS:
            return institution
        return self.duty_bearer

    @property
    def check_result(self) -> str:
        """confirmed / partly / differs / not_found, or unchecked."""
        results = {c.result for c in self.checks}
        for result in ("differs", "confirmed", "partly", "not_found"):
            if result in results:
                return result
        return "unchecked"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None
                                                or day <= self.effective_to)


@dataclass(frozen=True)
class Profile:
    id: str
    title: Text
    jurisdiction: str
    version: str
    parent: str | None
    sources: Mapping[str, Mapping[str, Any]]
    duty_bearers: Mapping[str, Text]
    order_types: tuple[Mapping[str, Any], ...]
    rules: tuple[Rule, ...]
    periods: tuple[Mapping[str, Any], ...] = ()
    proceedings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def bearer(self, bearer_id: str, language: str) -> str:
        return text_in(self.duty_bearers.get(bearer_id), language) or bearer_id


def _schema(directory: Path) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((directory / "profile.schema.json").read_text("utf-8"))
    return schema


def _json_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def read_checked(path: Path, schema: Mapping[str, Any],
                 error: Callable[[str, str, str], Exception],
                 what: str = "the file") -> dict[str, Any]:
    """A YAML file parsed and checked against a JSON Schema; any failure is
    `error(file name, path inside it, reason)`."""
    name = path.name
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise error(name, "", f"cannot read the file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise error(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise error(name, "", f"{what} must be a mapping of keys to values")
    # YAML turns 2024-06-16 into a date; the schema wants the text.
    data = json.loads(json.dumps(data, default=str))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        found = jsonschema.exceptions.best_match(errors) or errors[0]
        raise error(name, _json_path(found.absolute_path), found.message)
    return dict(data)


def read_raw(path: Path, directory: Path) -> dict[str, Any]:
    """One profile file, parsed and checked against the JSON Schema."""
    data = read_checked(path, _schema(directory), ProfileError, "a profile")
    if data["id"] != path.stem:
        raise ProfileError(path.name, "id", f"the id {data['id']!r} must match the file name")
    return data


def _build_rule(raw: Mapping[str, Any], profile_id: str) -> Rule:
    basis = raw["basis"]
    escalation = raw.get("escalation") or {}
    effective = raw["effective"]
    return Rule(
        id=raw["id"], family=raw.get("family", raw["id"]), profile=profile_id,
        measures=raw.get("measures"),
        title=raw["title"], trigger=Trigger.from_data(raw["trigger"]),
        duty_bearer=raw["duty_bearer"], satisfied_by=Match.from_data(raw["satisfied_by"]),
        not_applicable_if=(Match.from_data(raw["not_applicable_if"])
                           if raw.get("not_applicable_if") else None),
        deadline=parse_deadline(raw["deadline"]), deadline_text=raw["deadline"],
        deadline_note=raw.get("deadline_note"),
        basis=basis["text"], source=basis["source"], url=basis["url"],
        confirmed=raw["confirmed"], unconfirmed=raw.get("unconfirmed"),
        effective_from=date.fromisoformat(effective["from"]),
        effective_to=date.fromisoformat(effective["to"]) if effective.get("to") else None,
        escalation_to=escalation.get("to"), escalation_template=escalation.get("template"),
        checks=tuple(Check.from_data(c) for c in raw.get("checks") or ()),
        refused_by=tuple(Match.from_data(m) for m in _listed(raw.get("refused_by"))),
        reasonable_time=_reasonable_time(raw.get("reasonable_time")),
        bearer_from_institution=bool(raw.get("bearer_from_institution", False)),
        standing=bool(raw.get("standing", False)),
        decision=bool(raw.get("decision", False)),
        instruments=tuple(raw.get("instruments") or ()),
        replaces=tuple(raw.get("replaces") or ()),
    )


def _listed(value: Any) -> list[Any]:
    if not value:
        return []
    return list(value) if isinstance(value, list) else [value]


def _reasonable_time(raw: Mapping[str, Any] | None) -> ReasonableTime | None:
    if not raw:
        return None
    duration = parse_deadline(raw["duration"])
    if duration is None:
        raise ValueError("a reasonable time cannot be undetermined")
    return ReasonableTime(duration, raw["duration"], raw["source"], raw["note"],
                          bool(raw.get("confirmed", False)))


def _check_references(data: Mapping[str, Any], name: str, sources: Mapping[str, Any],
                      bearers: Mapping[str, Any], parent_rules: set[str],
                      templates: set[str], instruments: frozenset[str]) -> None:
    def need(ok: bool, path: str, reason: str) -> None:
        if not ok:
            raise ProfileError(name, path, reason)

    need(not data.get("extends") or data["extends"] != data["id"], "extends",
         "a profile cannot extend itself")
    seen: set[str] = set()
    for i, order in enumerate(data.get("order_types") or []):
        need(order["issuer"] in bearers, f"order_types[{i}].issuer",
             f"unknown duty bearer {order['issuer']!r}")
        need(order["source"] in sources, f"order_types[{i}].source",
             f"unknown source {order['source']!r}")
        need(order["breach"]["source"] in sources, f"order_types[{i}].breach.source",
             f"unknown source {order['breach']['source']!r}")
    for key, threshold in (data.get("proceedings") or {}).items():
        need(threshold["source"] in sources, f"proceedings.{key}.source",
             f"unknown source {threshold['source']!r}")
    def checked(item: Mapping[str, Any], at: str) -> None:
        for j, check in enumerate(item.get("checks") or ()):
            need(check["source"] in sources, f"{at}.checks[{j}].source",
                 f"unknown source {check['source']!r}")
        if item.get("confirmed"):
            need(any(c["result"] == "confirmed" for c in item.get("checks") or ()),
                 f"{at}.confirmed", "confirmed only with a check that confirms it against the "
                 "primary text (checks: source, version, article, quote, result: confirmed)")

    for i, order in enumerate(data.get("order_types") or []):
        checked(order, f"order_types[{i}]")
    for i, rule in enumerate(data["rules"]):
        at = f"rules[{i}]"
        checked(rule, at)
        if rule.get("reasonable_time"):
            need(rule["reasonable_time"]["source"] in sources, f"{at}.reasonable_time.source",
                 f"unknown source {rule['reasonable_time']['source']!r}")
            need(rule["deadline"] == UNDETERMINED, f"{at}.reasonable_time",
                 "a reasonable time only for a rule whose deadline is undetermined")
        for j, instrument in enumerate(rule.get("instruments") or ()):
            need(instrument in instruments, f"{at}.instruments[{j}]",
                 f"unknown instrument {instrument!r} (profiles/treaties.yaml)")
        need(rule["id"] not in seen, f"{at}.id", f"the rule id {rule['id']!r} is used twice")
        seen.add(rule["id"])
        need(rule["duty_bearer"] in bearers, f"{at}.duty_bearer",
             f"unknown duty bearer {rule['duty_bearer']!r}")
        need(rule["basis"]["source"] in sources, f"{at}.basis.source",
             f"unknown source {rule['basis']['source']!r}")
        parts = [("trigger", rule["trigger"]), ("satisfied_by", rule["satisfied_by"]),
                 ("not_applicable_if", rule.get("not_applicable_if")),
                 ("trigger.preceded_by", rule["trigger"].get("preceded_by")),
                 *(("refused_by", m) for m in _listed(rule.get("refused_by")))]
        for part, found in parts:
            match = found or {}
            for key in ("kinds", "linked_to", "linked_from"):
                for kind in match.get(key) or ():
                    need(kind in taxonomy.BY_ID, f"{at}.{part}.{key}",
                         f"unknown event kind {kind!r}")
            for inst in match.get("institution") or ():
                need(inst in taxonomy.INSTITUTIONS, f"{at}.{part}.institution",
                     f"unknown institution {inst!r}")
        effective = rule["effective"]
        need(not effective.get("to") or effective["to"] >= effective["from"],
             f"{at}.effective", "the period ends before it starts")
        escalation = rule.get("escalation")
        if escalation:
            need(escalation["to"] in bearers, f"{at}.escalation.to",
                 f"unknown duty bearer {escalation['to']!r}")
            need(escalation["template"] in templates, f"{at}.escalation.template",
                 f"no letter template {escalation['template']!r} in profiles/letters/")
        for j, overridden in enumerate(rule.get("overrides") or ()):
            need(overridden in parent_rules, f"{at}.overrides[{j}]",
                 f"{overridden!r} is not a rule of the profile this one extends")
        for j, replaced in enumerate(rule.get("replaces") or ()):
            need(replaced in parent_rules, f"{at}.replaces[{j}]",
                 f"{replaced!r} is not a rule of the profile this one extends")


def letter_templates(directory: Path) -> set[str]:
    """Template names with a text in every language: profiles/letters/<name>.<lang>.txt."""
    folder = directory / "letters"
    names = {p.name.split(".")[0] for p in folder.glob("*.txt")} if folder.is_dir() else set()
    return {n for n in names
            if all((folder / f"{n}.{lang}.txt").is_file() for lang in LANGUAGES)}


def load(profile_id: str, directory: Path, _chain: tuple[str, ...] = ()) -> Profile:
    """A profile with its parent's rules merged in (overridden ones dropped)."""
    path = directory / f"{profile_id}.yaml"
    if profile_id in _chain:
        raise ProfileError(path.name, "extends", "profiles extend each other in a circle")
    if not path.is_file():
        raise ProfileError(path.name, "", "no such profile file")
    data = read_raw(path, directory)
    parent = load(data["extends"], directory, (*_chain, profile_id)) if data.get(
        "extends") else None
    sources = {**(parent.sources if parent else {}), **data["sources"]}
    bearers = {**(parent.duty_bearers if parent else {}), **data["duty_bearers"]}
    parent_rules = {r.id for r in parent.rules} if parent else set()
    _check_references(data, path.name, sources, bearers, parent_rules,
                      letter_templates(directory), instrument_ids(directory))
    overridden = {o for r in data["rules"] for o in r.get("overrides") or ()}
    own = tuple(_build_rule(r, data["id"]) for r in data["rules"])
    inherited = tuple(r for r in (parent.rules if parent else ()) if r.id not in overridden)
    clash = {r.id for r in own} & {r.id for r in inherited}
    if clash:
        raise ProfileError(path.name, "rules", f"rule ids already used by the parent profile: "
                           f"{', '.join(sorted(clash))}")
    return Profile(
        id=data["id"], title=data["title"], jurisdiction=data["jurisdiction"],
        version=data["version"], parent=data.get("extends"), sources=sources,
        duty_bearers=bearers,
        order_types=(*(parent.order_types if parent else ()), *(data.get("order_types") or ())),
        rules=(*inherited, *own), periods=tuple(data.get("periods") or ()),
        proceedings={**(parent.proceedings if parent else {}),
                     **(data.get("proceedings") or {})},
    )


# Files in the profiles folder that are not profiles.
NOT_PROFILES = frozenset({"treaties"})


def instrument_ids(directory: Path) -> frozenset[str]:
    """The ids of the instruments in profiles/treaties.yaml (none if the file is missing)."""
    path = directory / "treaties.yaml"
    if not path.is_file():
        return frozenset()
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    return frozenset(i["id"] for i in data.get("instruments") or ())


def available(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem not in NOT_PROFILES)


def load_all(directory: Path) -> dict[str, Profile]:
    """Every profile in the folder, or the first ProfileError."""
    return {pid: load(pid, directory) for pid in available(directory)}


@cache
def cached(profile_id: str, directory: str) -> Profile:
    return load(profile_id, Path(directory))
