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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
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
# A monitoring case (reconstructed from documents): the deadline passed and nothing is recorded,
# which is not evidence that nothing was done.
NO_RECORD = "no_record"
STATUSES = (PENDING, MET, BREACHED, NOT_APPLICABLE, NO_RECORD)

# What a breach rests on: a recorded refusal, non-response or finding; or only on nothing
# being recorded by the deadline.
ON_RECORD = "on_record"
ON_ABSENCE = "on_absence"
GROUNDS = (ON_RECORD, ON_ABSENCE)

FINDING_KINDS = frozenset({"finding_unlawful", "international_judgment"})


def gettext_noop(message: str) -> str:
    return message


STATUS_LABELS: dict[str, str] = {
    PENDING: gettext_noop("Pending"),
    MET: gettext_noop("Met"),
    BREACHED: gettext_noop("Breached"),
    NOT_APPLICABLE: gettext_noop("Not applicable"),
    NO_RECORD: gettext_noop("No record"),
}

GROUND_LABELS: dict[str, str] = {
    ON_RECORD: gettext_noop("on a recorded refusal, non-response or finding"),
    ON_ABSENCE: gettext_noop("only on nothing being recorded"),
}


@dataclass(frozen=True)
class Context:
    """What the engine needs of the case beyond its events."""

    monitoring: bool = False  # reconstructed from documents: absence is not evidence
    # instrument id, day -> whether it bound the case's state that day (None: not known, so
    # rules are not filtered by their instruments)
    binds: Callable[[str, date], bool] | None = None
    died: date | None = None  # the survivor's death (earliest possible day)


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
    grounds: str = ""  # a breach's: ON_RECORD or ON_ABSENCE
    bearer: str = ""  # who owes it (the rule's bearer, or the trigger's institution)

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
    "refused": gettext_noop(
        "Breached: event #%(by)s records a refusal, a failure or no response."),
    "found_unlawful": gettext_noop(
        "Breached: event #%(by)s records a finding that this was unlawful."),
    "unreasonable": gettext_noop(
        "Breached: the law sets no deadline, but nothing was recorded within a reasonable "
        "time (by %(due)s) after event #%(trigger)s."),
    "pending_reasonable": gettext_noop(
        "Open: the law sets no deadline; inaction becomes unreasonable after %(due)s."),
    "framework_gap": gettext_noop(
        "Breached: the law in force when event #%(trigger)s happened gave no such protection."),
    "no_record": gettext_noop(
        "No record: nothing that satisfies it is recorded by %(due)s; on a case "
        "reconstructed from documents that is not evidence that nothing was done."),
    "decision_stands": gettext_noop(
        "Decided by event #%(by)s; a breach only where a competent body finds it unlawful."),
    "deceased": gettext_noop("No longer owed: the survivor died before it fell due."),
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

    def around(self, fact: Fact) -> set[int]:
        """The fact, what it links to and what links to it."""
        return {fact.number, *fact.links, *self.linked_from.get(fact.number, ())}

    def refusal(self, trigger: Fact, matches: Sequence[Match], institution: str) -> Fact | None:
        """The earliest recorded refusal of, failure in or non-response to `trigger`."""
        found = None
        # the trigger, what it links to, what links to it, and the answers to those (a
        # breach's report, and the "no response" recorded against that report)
        near = self.around(trigger)
        for number in list(self.linked_from.get(trigger.number, ())):
            near |= self.linked_from.get(number, set())
        for number in near:
            f = self.by_number.get(number)
            if f is None or not any(_matches(f, m) for m in matches):
                continue
            if institution and f.institution and f.institution != institution:
                continue
            if found is None or f.order_key() < found.order_key():
                found = f
        return found

    def finding(self, trigger: Fact, answer: Fact | None, bearer: str) -> Fact | None:
        """A recorded finding that the handling of `trigger` was unlawful."""
        judged = {trigger.number, *self.linked_from.get(trigger.number, ())}
        if answer is not None:
            judged.add(answer.number)
        for number in sorted(judged):
            for by in sorted(self.linked_from.get(number, ())):
                f = self.by_number[by]
                if f.kind not in FINDING_KINDS or f.attributes.get("violation") is False:
                    continue
                concerns = f.attributes.get("concerns")
                if concerns and bearer not in concerns:
                    continue
                return f
        return None

    def first_match(self, trigger: Fact, match: Match) -> Fact | None:
        """The earliest fact matching `match` that answers `trigger`."""
        near = self.neighbourhood(trigger)
        if match.linked:
            # ... and what links to the trigger (a breach's report: the answers to the report)
            near |= {n for n in self.linked_from.get(trigger.number, ())
                     if self.by_number[n].kind not in FINDING_KINDS}
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


def kinds_read(rule: Rule) -> frozenset[str]:
    """Every event kind whose presence can change the rule's obligations: its triggers,
    what they must link to, follow or be linked from, what satisfies, moots or refuses it,
    and findings (which can make any duty breached)."""
    t = rule.trigger
    kinds = set(t.kinds) | t.linked_to | t.linked_from | rule.satisfied_by.kinds | FINDING_KINDS
    if t.preceded_by is not None:
        kinds |= t.preceded_by.kinds
    if rule.not_applicable_if is not None:
        kinds |= rule.not_applicable_if.kinds
    for match in rule.refused_by:
        kinds |= match.kinds
    return frozenset(kinds)


def rules_reading(profile: Profile, kinds: Iterable[str],
                  also: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The rules whose obligations an added event of one of `kinds` can change (and the
    rules named in `also`), with every rule that replaces or is replaced by one of them (a
    replacement is decided among both)."""
    wanted = frozenset(kinds)
    chosen = {rule.id for rule in profile.rules if kinds_read(rule) & wanted} | set(also)
    grown = True
    while grown:
        grown = False
        for rule in profile.rules:
            if rule.id in chosen:
                continue
            if chosen.intersection(rule.replaces) or any(
                    rule.id in other.replaces for other in profile.rules if other.id in chosen):
                chosen.add(rule.id)
                grown = True
    return tuple(rule for rule in profile.rules if rule.id in chosen)


def derive(profile: Profile, facts: Sequence[Fact] | Iterable[Fact], now: date,
           context: Context | None = None,
           rules: Sequence[Rule] | None = None,
           only: Collection[int] | None = None) -> list[Obligation]:
    """Every obligation the facts give rise to under `profile`, as of `now` (only those of
    `rules`, a subset of the profile's closed under `replaces`, when given; only those
    triggered by the events numbered in `only`, when given)."""
    context = context or Context()
    case = _Case(facts)
    found: list[Obligation] = []
    for rule in profile.rules if rules is None else rules:
        for trigger in case.triggers(rule):
            if only is not None and trigger.number not in only:
                continue
            # a gap in the law stands for as long as it lasted: the law of its last day
            day = (trigger.latest or now) if rule.standing else _law_day(trigger, now)
            if not rule.in_force(day):
                continue
            if rule.instruments and context.binds is not None and not any(
                    context.binds(i, day) for i in rule.instruments):
                continue  # no instrument it rests on bound the state then
            found.append(_evaluate(case, rule, trigger, now, context))
    # A national rule that replaces an inherited one on the events it applies to (Kazakh
    # law's referral on her request, the baseline's on every other report).
    replaced = {(r, o.trigger) for o in found for r in o.rule.replaces}
    if replaced:
        found = [o for o in found if (o.rule.id, o.trigger) not in replaced]
    found.sort(key=lambda o: (o.due_latest or date.max, o.rule.id, o.trigger))
    return found


def _evaluate(case: _Case, rule: Rule, trigger: Fact, now: date, context: Context) -> Obligation:
    span = trigger.span
    due_earliest = due_latest = None
    deadline = rule.deadline or (rule.reasonable_time.duration if rule.reasonable_time else None)
    if deadline is not None and span.known:
        step = _ceil_days(deadline)
        earliest, latest = trigger.earliest, trigger.latest
        due_earliest = earliest + step if earliest else None
        due_latest = latest + step if latest else None
    base = {"trigger": trigger.number, "due": due_latest}
    bearer = rule.bearer(trigger.institution)

    def make(status: str, reason: str, by: int | None = None, late: bool = False,
             grounds: str = "") -> Obligation:
        return Obligation(rule, trigger.number, status, due_earliest, due_latest, by, late,
                          reason, {**base, "by": by}, grounds, bearer)

    if rule.standing:
        return make(BREACHED, "framework_gap", grounds=ON_RECORD)
    if rule.not_applicable_if is not None:
        moot = case.first_match(trigger, rule.not_applicable_if)
        if moot is not None:
            return make(NOT_APPLICABLE, "not_applicable", moot.number)
    answer = case.first_match(trigger, rule.satisfied_by)
    finding = case.finding(trigger, answer, bearer)
    if finding is not None:
        return make(BREACHED, "found_unlawful", finding.number, grounds=ON_RECORD)
    if rule.refused_by:
        institution = trigger.institution if rule.bearer_from_institution else ""
        refusal = case.refusal(trigger, rule.refused_by, institution)
        if refusal is not None and (answer is None or refusal.order_key() < answer.order_key()):
            return make(BREACHED, "refused", refusal.number, grounds=ON_RECORD)
    if rule.decision:
        return make(MET, "decision_stands", trigger.number)
    if answer is not None:
        if deadline is None:
            return make(MET, "met_no_deadline", answer.number)
        answered = answer.earliest
        late = bool(due_latest and answered and answered > due_latest)
        return make(MET, "met_late" if late else "met", answer.number, late)
    died = context.died
    if died is not None and bearer == "organisation" and (
            due_latest is None or died <= due_latest):
        return make(NOT_APPLICABLE, "deceased", None)
    if deadline is None:
        return make(PENDING, "pending_no_deadline")
    if not span.known or due_latest is None:
        return make(PENDING, "pending_unknown_date")
    if now > due_latest:
        if context.monitoring:
            return make(NO_RECORD, "no_record")
        return make(BREACHED, "unreasonable" if rule.deadline is None else "breached",
                    grounds=ON_ABSENCE)
    return make(PENDING, "pending_reasonable" if rule.deadline is None else "pending")


def current_status(status: str, due_latest: date | None, today: date,
                   monitoring: bool = False) -> str:
    """A stored pending obligation whose last due day has passed is breached today (on a
    monitoring case: no record)."""
    if status == PENDING and due_latest is not None and today > due_latest:
        return NO_RECORD if monitoring else BREACHED
    return status
