"""Derive obligations from a case's events under a jurisdiction profile. Pure: no Django.

`derive(profile, facts, now)` is deterministic and does not depend on the order in which
facts are given: each fact is identified by its number, and every choice among candidates is
made by date, then kind, then number.

Dates are honest spans, so a due date is a span too: a trigger known only to the month has a
due date somewhere in a month. An obligation is *breached* only when its latest possible due
day has passed with nothing satisfying it; *met late* only when the satisfying event cannot
have happened by the latest due day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from math import ceil
from typing import Any, Generic, TypeVar

from qorgau.cases.dates import DateSpan
from qorgau.duties.profiles import Match, Profile, Rule

PENDING = "pending"
MET = "met"
BREACHED = "breached"
NOT_APPLICABLE = "not_applicable"
STATUSES = (PENDING, MET, BREACHED, NOT_APPLICABLE)


def gettext_noop(message: str) -> str:
    return message


STATUS_LABELS: dict[str, str] = {
    PENDING: gettext_noop("Pending"),
    MET: gettext_noop("Met"),
    BREACHED: gettext_noop("Breached"),
    NOT_APPLICABLE: gettext_noop("Not applicable"),
}


T = TypeVar("T")


class _cached(Generic[T]):  # noqa: N801
    """functools.cached_property without its lock (Python 3.11 takes one per read)."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass(frozen=True)
class Fact:
    """What the engine needs of one current (not superseded) event."""

    number: int
    kind: str
    span: DateSpan
    attributes: Mapping[str, Any] = field(default_factory=dict)
    institution: str = ""
    links: tuple[int, ...] = ()  # numbers of the events this one links to

    @_cached
    def sort_key(self) -> tuple[date, date]:
        return self.span.sort_key()

    @_cached
    def earliest(self) -> date | None:
        return self.span.earliest()

    @_cached
    def latest(self) -> date | None:
        return self.span.latest()

    def order_key(self) -> tuple[date, date, str, int]:
        start, end = self.sort_key
        return (start, end, self.kind, self.number)


@dataclass(frozen=True)
class Obligation:
    rule: Rule
    trigger: int  # event number
    status: str
    due_earliest: date | None  # None: unknown (or open-ended) lower bound
    due_latest: date | None  # None: no deadline, or the trigger's date is unknown
    satisfied_by: int | None = None
    late: bool = False
    reason: str = ""  # one of REASONS
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.rule.id, self.trigger)

    def explain(self, gettext: Callable[[str], str] = lambda s: s,
                format_date: Callable[[date], str] = date.isoformat) -> str:
        """One sentence on why the obligation has its status."""
        return explain(self.reason, self.params, gettext, format_date)


def explain(reason: str, params: Mapping[str, Any],
            gettext: Callable[[str], str] = lambda s: s,
            format_date: Callable[[date], str] = date.isoformat) -> str:
    values = {k: format_date(v) if isinstance(v, date) else v for k, v in params.items()}
    return gettext(REASONS[reason]) % values


REASONS: dict[str, str] = {
    "breached": gettext_noop(
        "Breached: event #%(trigger)s required it, and nothing that satisfies it was recorded "
        "by %(due)s."),
    "met": gettext_noop("Met by event #%(by)s, within the deadline."),
    "met_late": gettext_noop("Met by event #%(by)s, but only after the deadline of %(due)s."),
    "met_no_deadline": gettext_noop("Met by event #%(by)s."),
    "pending": gettext_noop(
        "Pending: due by %(due)s; nothing that satisfies it has been recorded yet."),
    "pending_no_deadline": gettext_noop(
        "Open: the law sets no deadline; nothing that satisfies it has been recorded yet."),
    "pending_unknown_date": gettext_noop(
        "Open: the date of event #%(trigger)s is unknown, so its deadline cannot be "
        "computed; record the date."),
    "not_applicable": gettext_noop("Not applicable since event #%(by)s."),
}


def _ceil_days(delta: timedelta) -> timedelta:
    """Deadlines count in whole days: 48 hours after a day is two days after it."""
    return timedelta(days=ceil(delta.total_seconds() / 86400))


def _matches(fact: Fact, match: Match) -> bool:
    if fact.kind not in match.kinds:
        return False
    if match.institution and fact.institution not in match.institution:
        return False
    if match.attributes:
        for name, accepted in match.attributes.items():
            if fact.attributes.get(name) not in accepted:
                return False
    if match.except_attributes:
        return all(fact.attributes.get(name) not in refused
                   for name, refused in match.except_attributes.items())
    return True


class _Case:
    """Facts indexed for the engine."""

    def __init__(self, facts: Iterable[Fact]) -> None:
        self.facts = sorted(facts, key=Fact.order_key)
        self.by_number = {f.number: f for f in self.facts}
        self.by_kind: dict[str, list[Fact]] = {}
        self.linked_from: dict[int, set[int]] = {}
        for f in self.facts:
            self.by_kind.setdefault(f.kind, []).append(f)
            for target in f.links:
                self.linked_from.setdefault(target, set()).add(f.number)
        self._of_kinds: dict[frozenset[str], list[Fact]] = {}
        self._starts: dict[frozenset[str], list[date]] = {}

    def of_kinds(self, kinds: frozenset[str]) -> list[Fact]:
        """Facts of these kinds, in chronological order."""
        found = self._of_kinds.get(kinds)
        if found is None:
            found = [f for kind in kinds for f in self.by_kind.get(kind, ())]
            if len(kinds) > 1:
                found.sort(key=Fact.order_key)
            self._of_kinds[kinds] = found
        return found

    def since(self, kinds: frozenset[str], day: date) -> int:
        """Where facts of these kinds (of_kinds order) stop starting before `day`."""
        starts = self._starts.get(kinds)
        if starts is None:
            starts = self._starts[kinds] = [f.sort_key[0] for f in self.of_kinds(kinds)]
        return bisect_left(starts, day)

    def kinds_of(self, numbers: Iterable[int]) -> set[str]:
        return {self.by_number[n].kind for n in numbers if n in self.by_number}

    def triggers(self, rule: Rule) -> list[Fact]:
        t = rule.trigger
        found = [
            f for f in self.of_kinds(t.kinds)
            if _matches(f, t)
            and (not t.linked_to or self.kinds_of(f.links) & t.linked_to)
            and (not t.linked_from
                 or self.kinds_of(self.linked_from.get(f.number, ())) & t.linked_from)
            and (t.preceded_by is None or self.preceded(f, t.preceded_by))
        ]
        return found[:1] if t.first else found

    def preceded(self, fact: Fact, match: Match) -> bool:
        """An event matching `match` happened strictly before `fact`."""
        if not fact.span.known:
            return False
        before = self.of_kinds(match.kinds)[:self.since(match.kinds, fact.sort_key[0])]
        return any(f.span.known and _matches(f, match) for f in before)

    def neighbourhood(self, fact: Fact) -> set[int]:
        return {fact.number, *fact.links}

    def first_match(self, trigger: Fact, match: Match) -> Fact | None:
        """The earliest fact matching `match` that answers `trigger`."""
        near = self.neighbourhood(trigger)
        if match.linked:
            # Only facts that link to the trigger or to what it links to: the earliest.
            found = None
            for number in set().union(*(self.linked_from.get(n, ()) for n in near)):
                f = self.by_number[number]
                if f.number == trigger.number or not _matches(f, match):
                    continue
                if found is None or f.order_key() < found.order_key():
                    found = f
            return found
        facts = self.of_kinds(match.kinds)
        start = trigger.sort_key[0]
        # Facts that started before a dated trigger cannot answer it.
        first = self.since(match.kinds, start) if trigger.span.known else 0
        for f in facts[first:] if first else facts:
            if f.number == trigger.number or not _matches(f, match):
                continue
            if f.number in trigger.links:
                continue  # what the trigger answers came before it
            if f.span.known and trigger.span.known and f.sort_key[0] < start:
                continue  # happened before the trigger
            return f
        return None


def _law_day(fact: Fact, now: date) -> date:
    """The day whose law applies: the trigger's middle (today if its date is unknown)."""
    return fact.sort_key[0] if fact.span.known else now


def derive(profile: Profile, facts: Sequence[Fact] | Iterable[Fact], now: date) -> list[Obligation]:
    """Every obligation the facts give rise to under `profile`, as of `now`."""
    case = _Case(facts)
    found: list[Obligation] = []
    for rule in profile.rules:
        for trigger in case.triggers(rule):
            if not rule.in_force(_law_day(trigger, now)):
                continue
            found.append(_evaluate(case, rule, trigger, now))
    found.sort(key=lambda o: (o.due_latest or date.max, o.rule.id, o.trigger))
    return found


def _evaluate(case: _Case, rule: Rule, trigger: Fact, now: date) -> Obligation:
    span = trigger.span
    due_earliest = due_latest = None
    if rule.deadline is not None and span.known:
        step = _ceil_days(rule.deadline)
        earliest, latest = trigger.earliest, trigger.latest
        due_earliest = earliest + step if earliest else None
        due_latest = latest + step if latest else None
    base = {"trigger": trigger.number, "due": due_latest}

    def make(status: str, reason: str, by: int | None = None, late: bool = False) -> Obligation:
        return Obligation(rule, trigger.number, status, due_earliest, due_latest, by, late,
                          reason, {**base, "by": by})

    if rule.not_applicable_if is not None:
        moot = case.first_match(trigger, rule.not_applicable_if)
        if moot is not None:
            return make(NOT_APPLICABLE, "not_applicable", moot.number)
    answer = case.first_match(trigger, rule.satisfied_by)
    if answer is not None:
        if rule.deadline is None:
            return make(MET, "met_no_deadline", answer.number)
        answered = answer.earliest
        late = bool(due_latest and answered and answered > due_latest)
        return make(MET, "met_late" if late else "met", answer.number, late)
    if rule.deadline is None:
        return make(PENDING, "pending_no_deadline")
    if not span.known or due_latest is None:
        return make(PENDING, "pending_unknown_date")
    if now > due_latest:
        return make(BREACHED, "breached")
    return make(PENDING, "pending")


def current_status(status: str, due_latest: date | None, today: date) -> str:
    """A stored pending obligation whose last due day has passed is breached today."""
    if status == PENDING and due_latest is not None and today > due_latest:
        return BREACHED
    return status
