"""The obligations a few new events can change, derived from the events around them only
(issue 33: a write's cost must not grow with the case's length).

A new event changes an obligation of rule R triggered by event T only where R's evaluation
of T reads it: through links (within two links of T), as the earliest unlinked answer or
mooting fact after T, as the new first trigger of a `first` rule, or as the earliest fact a
`preceded_by` trigger needs. `seeds` finds those triggers (with the pending duties fallen due
since); `derive_around` loads what evaluating them reads (two links around each, the facts
of unlinked answer kinds from the earliest of them on, the first trigger and first preceder
of such rules, every finding and death) and derives the seeds alone with the ordinary
engine. The caller replaces the stored rows of those triggers. Anything else (corrections,
findings, deaths, a law changed since, large batches) takes the whole-case path.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from django.db.models import F, Q

from qorgau.cases.models import Case, Event, EventLink
from qorgau.duties import engine, profiles
from qorgau.duties.models import Obligation

MAX_EVENTS = 20  # a larger batch (an import) derives the rules it reads over the whole case
PAGE = 64
ALWAYS = engine.FINDING_KINDS | {"death"}  # read by every evaluation, so always loaded


class Neighbourhood:
    """The case's current events near some events: their rows, links and corrections."""

    def __init__(self, case: Case) -> None:
        self.case = case
        # corrections are few: the whole map, so any link can be followed to the newest
        self.successor = dict(Event.objects.filter(case=case, supersedes__isnull=False)
                              .values_list("supersedes_id", "id"))
        self.predecessors: dict[int, list[int]] = {}
        for old, new in self.successor.items():
            self.predecessors.setdefault(new, []).append(old)
        self.links: set[tuple[int, int]] = set()  # (source, newest target), both current
        self.rows: dict[int, tuple[Any, ...]] = {}
        self._linked_around: set[int] = set()

    def newest(self, pk: int) -> int:
        while pk in self.successor:
            pk = self.successor[pk]
        return pk

    def _versions(self, ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        todo = list(ids)
        while todo:
            pk = todo.pop()
            if pk not in found:
                found.add(pk)
                todo.extend(self.predecessors.get(pk, ()))
        return found

    def around(self, ids: Collection[int], hops: int = 2) -> set[int]:
        """`ids` and every current event within `hops` links of them, either way."""
        reached = set(ids)
        frontier = set(ids)
        for _hop in range(hops):
            frontier -= self._linked_around
            if not frontier:
                break
            self._linked_around |= frontier
            versions = self._versions(frontier)
            new: set[int] = set()
            for source, target in (EventLink.objects.filter(
                    Q(source_id__in=frontier) | Q(target_id__in=versions))
                    .values_list("source_id", "target_id")):
                if source in self.successor:
                    continue  # a corrected event's links went with it
                target = self.newest(target)
                self.links.add((source, target))
                new |= {source, target}
            frontier = new - reached
            reached |= new
        return reached

    def load(self, ids: Iterable[int]) -> None:
        from qorgau.duties.services import FACT_COLUMNS

        missing = [pk for pk in ids if pk not in self.rows]
        for row in Event.objects.filter(pk__in=missing).values_list(*FACT_COLUMNS):
            if row[0] not in self.successor:
                self.rows[row[0]] = row

    def load_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for row in rows:
            if row[0] not in self.successor:
                self.rows.setdefault(row[0], row)

    def facts(self) -> tuple[list[engine.Fact], dict[int, int]]:
        """The loaded events as engine facts, with the links between loaded events."""
        number_of = {pk: row[1] for pk, row in self.rows.items()}
        linked: dict[int, set[int]] = {}
        for source, target in self.links:
            if source in number_of and target in number_of and source != target:
                linked.setdefault(source, set()).add(number_of[target])
        facts = [_fact(row, tuple(sorted(linked.get(pk, ())))) for pk, row in self.rows.items()]
        return facts, {row[1]: pk for pk, row in self.rows.items()}


def _fact(row: tuple[Any, ...], links: tuple[int, ...] = ()) -> engine.Fact:
    """One event row (FACT_COLUMNS) as a fact (with the numbers it links to, if given)."""
    from qorgau.duties.services import _span

    (_pk, number, kind, start, end, qualifier, recurrence, attributes, institution,
     _sup) = row
    if attributes.__class__ is str:
        attributes = {} if attributes == "{}" else json.loads(attributes)
    return engine.Fact(number, kind, _span(start, end, qualifier, recurrence),
                       attributes or {}, institution, links)


def _current(case: Case, near: Neighbourhood) -> Any:
    return Event.objects.filter(case=case).exclude(pk__in=list(near.successor))


def _earliest(case: Case, near: Neighbourhood, match: profiles.Match, known: bool,
              exclude: Collection[int] = ()) -> tuple[list[int], date | None]:
    """The current events that match `match` and sort first (the engine's order), loaded,
    with their day; ties on the first day are all returned. Each kind is read in pages in
    day order (undated last) through the (case, kind, sort_start) index, until its first
    matching day is past."""
    firsts = [(day, found) for found, day in (
        _earliest_of_kind(case, near, match, kind, known, exclude)
        for kind in sorted(match.kinds)) if found]
    if not firsts:
        return [], None
    day = min((d for d, _found in firsts), key=lambda d: (d is None, d or date.min))
    return [pk for d, found in firsts if d == day for pk in found], day


def _earliest_of_kind(case: Case, near: Neighbourhood, match: profiles.Match, kind: str,
                      known: bool, exclude: Collection[int]) -> tuple[list[int], date | None]:
    from qorgau.duties.services import FACT_COLUMNS

    events = _current(case, near).filter(kind=kind).exclude(pk__in=list(exclude))
    if match.institution:
        events = events.filter(institution__in=match.institution)
    if known:
        events = events.filter(sort_start__isnull=False)
    events = events.order_by(F("sort_start").asc(nulls_last=True), "pk").values_list(
        *FACT_COLUMNS, "sort_start")
    found: list[int] = []
    first_day: Any = None
    page = 0
    while True:
        rows = list(events[page * PAGE:(page + 1) * PAGE])
        for row in rows:
            if found and row[-1] != first_day:
                return found, first_day
            if engine._matches(_fact(row[:-1]), match):
                near.load_rows([row[:-1]])
                found.append(row[0])
                first_day = row[-1]
        if len(rows) < PAGE:
            return found, first_day
        page += 1


def seeds(case: Case, near: Neighbourhood, rules: Iterable[profiles.Rule],
          added: Collection[int], today: date) -> set[int] | None:
    """The current events whose obligations under `rules` the `added` events can change
    (None: not decidable here, derive the rules over the whole case)."""
    rules = tuple(rules)
    near.load(added)
    new = {pk: _fact(near.rows[pk]) for pk in added if pk in near.rows}
    if any(fact.kind in ALWAYS for fact in new.values()):
        return None  # a finding can reach an answer far away; a death, every duty
    found = near.around(added)
    stored = Obligation.objects.filter(case=case, rule_id__in=[r.id for r in rules])
    for rule in rules:
        t = rule.trigger
        if t.first and (t.linked_to or t.linked_from or t.preceded_by):
            return None
        for fact in new.values():
            for match in (rule.satisfied_by, rule.not_applicable_if):
                if match is None or match.linked or not engine._matches(fact, match):
                    continue
                found |= _answerable(stored.filter(rule_id=rule.id), fact,
                                     match is rule.satisfied_by)
            if t.preceded_by is not None and fact.span.known and engine._matches(
                    fact, t.preceded_by):
                found |= _newly_preceded(case, near, rule, fact, added)
        if t.first:
            found |= set(stored.filter(rule_id=rule.id).values_list("trigger_id", flat=True))
    # pending duties fallen due since they were stored
    found |= set(stored.filter(status=engine.PENDING, due_latest__lt=today)
                 .values_list("trigger_id", flat=True))
    return {near.newest(pk) for pk in found}


def _answerable(stored: Any, fact: engine.Fact, answer: bool) -> set[int]:
    """Triggers whose stored obligation the new unlinked answer (or mooting fact) can
    change: those it can follow in time, unless decided by an earlier fact it cannot
    overtake (a finding can rest on the answer, so found-unlawful ones always count)."""
    day = fact.sort_key[0] if fact.span.known else None
    candidates = stored
    if day is not None:
        candidates = candidates.filter(Q(trigger__sort_start__lte=day)
                                       | Q(trigger__sort_start__isnull=True))
        earlier = Q(satisfied_by__sort_start__lt=day) & ~Q(reason="found_unlawful")
        if not answer:  # a mooting fact only overtakes an earlier moot
            earlier &= Q(status=engine.NOT_APPLICABLE)
        candidates = candidates.exclude(earlier)
    return set(candidates.values_list("trigger_id", flat=True))


def _newly_preceded(case: Case, near: Neighbourhood, rule: profiles.Rule, fact: engine.Fact,
                    added: Collection[int]) -> set[int]:
    """Trigger-kind events that the new fact makes preceded: after it, up to the earliest
    matching fact before the write (all after it if there was none)."""
    assert rule.trigger.preceded_by is not None
    before, before_day = _earliest(case, near, rule.trigger.preceded_by, True, exclude=added)
    events = _current(case, near).filter(kind__in=rule.trigger.kinds,
                                         sort_start__gt=fact.sort_key[0])
    if before:
        events = events.filter(sort_start__lte=before_day)
    return set(events.values_list("pk", flat=True))


def derive_around(case: Case, near: Neighbourhood, profile: profiles.Profile,
                  rules: tuple[profiles.Rule, ...], seed_ids: set[int], today: date,
                  ) -> tuple[list[engine.Obligation], dict[int, int]]:
    """The obligations of `rules` triggered by the seeds, from what evaluating them reads."""
    from qorgau.duties.services import FACT_COLUMNS, case_context

    near.around(seed_ids)
    near.load(seed_ids | {pk for link in near.links for pk in link})
    seed_facts = [_fact(near.rows[pk]) for pk in seed_ids if pk in near.rows]
    # The unlinked answers (and mooting facts) of the rules the seeds can trigger, from the
    # earliest such seed on (all of them if its date is unknown); findings and deaths all.
    windows: dict[str, date | None] = {kind: None for kind in ALWAYS}
    unbounded: set[str] = set(ALWAYS)
    for rule in rules:
        triggers = [f for f in seed_facts if f.kind in rule.trigger.kinds]
        if not triggers:
            continue
        known = all(f.span.known for f in triggers)
        day = min(f.sort_key[0] for f in triggers) if known else None
        for match in (rule.satisfied_by, rule.not_applicable_if):
            if match is None or match.linked:
                continue
            for kind in match.kinds:
                if day is None or kind in unbounded:
                    unbounded.add(kind)
                else:
                    windows[kind] = min(windows.get(kind) or day, day)
    scan = Q(kind__in=unbounded)
    for kind, since in windows.items():
        if kind not in unbounded and since is not None:
            scan |= Q(kind=kind) & (Q(sort_start__gte=since) | Q(sort_start__isnull=True))
    near.load_rows(_current(case, near).filter(scan).values_list(*FACT_COLUMNS))
    for rule in rules:
        if rule.trigger.first:
            _earliest(case, near, rule.trigger, False)
        if rule.trigger.preceded_by is not None:
            _earliest(case, near, rule.trigger.preceded_by, True)
    # every loaded event's links to other loaded events (a far answer may link to a seed)
    loaded = list(near.rows)
    versions = near._versions(loaded)
    for source, target in (EventLink.objects.filter(source_id__in=loaded,
                                                    target_id__in=versions)
                           .values_list("source_id", "target_id")):
        near.links.add((source, near.newest(target)))
    facts, event_ids = near.facts()
    numbers = {near.rows[pk][1] for pk in seed_ids if pk in near.rows}
    obligations = engine.derive(profile, facts, today,
                                case_context(case.region, case.mode, facts), rules,
                                only=numbers)
    return obligations, event_ids
