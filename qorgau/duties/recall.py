"""Corpus recall: do a case's derived duties flag the failures a deciding body found? Pure.

Each corpus case file has an `expected` section: the failures the body found (the event each
concerns and its duty bearer) and what the state did properly. A failure is *flagged* when a
breached duty of that bearer was triggered by that event (or, for the legislature, a framework
gap stands on the case); *flagged as something else* when a breached duty of another bearer,
or a breached duty triggered by an event linked to it, points at it; *missed* otherwise. A
flag is *contradicted* when the record says that bearer acted properly on that event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FLAGGED = "flagged"
ELSEWHERE = "elsewhere"
MISSED = "missed"


@dataclass(frozen=True)
class Flag:
    """A breached duty: its rule, bearer, triggering event and what it rests on."""

    rule: str
    bearer: str
    trigger: int
    grounds: str = ""
    standing: bool = False


@dataclass(frozen=True)
class TrialFlag:
    """A fair-trial flag of one proceeding (its index in the case file)."""

    proceeding: int
    flag: str
    indicator: str = ""
    events: tuple[int, ...] = ()


@dataclass
class CaseRecall:
    name: str
    control: bool
    failures: list[tuple[Mapping[str, Any], str, list[Flag]]] = field(default_factory=list)
    contradicted: list[tuple[Mapping[str, Any], Flag]] = field(default_factory=list)
    trials: list[tuple[Mapping[str, Any], bool]] = field(default_factory=list)
    trials_contradicted: list[tuple[Mapping[str, Any], TrialFlag]] = field(
        default_factory=list)
    trials_proper: int = 0  # what the record says was done properly, checked
    proceedings: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for _, found, _flags in self.failures if found == outcome)

    @property
    def trials_flagged(self) -> int:
        return sum(1 for _, found in self.trials if found)


def judge_trials(result: CaseRecall, expected: Mapping[str, Any],
                 flags: Sequence[TrialFlag]) -> CaseRecall:
    """A documented trial failure is flagged when its proceeding carries that flag (for
    `indicator_not_observed`, that indicator); a flag is contradicted when `trials_proper`
    says that proceeding was conducted properly in that respect ("*": in every respect)."""
    for failure in expected.get("trials") or ():
        found = any(f.proceeding == failure["proceeding"] and f.flag == failure["flag"]
                    and (not failure.get("indicator") or f.indicator == failure["indicator"])
                    for f in flags)
        result.trials.append((failure, found))
    for proper in expected.get("trials_proper") or ():
        result.trials_proper += 1
        for f in flags:
            if f.proceeding == proper["proceeding"] and proper["flag"] in ("*", f.flag):
                result.trials_contradicted.append((proper, f))
    return result


def _near(event: int, links: Mapping[int, set[int]]) -> set[int]:
    return {event, *links.get(event, set())}


def judge(name: str, expected: Mapping[str, Any], flags: Sequence[Flag],
          links: Mapping[int, set[int]], control: bool = False) -> CaseRecall:
    """Compare one case's breached duties with its expected failures and proper conduct.
    `links`: event number -> the numbers it is linked with, either way."""
    result = CaseRecall(name, control)
    for failure in expected.get("failures") or ():
        event, bearer = failure.get("event"), failure["bearer"]
        if bearer == "legislature":
            exact = [f for f in flags if f.bearer == "legislature" and f.standing]
        elif event is None:  # a failure of the case as a whole: any breach of that bearer
            exact = [f for f in flags if f.bearer == bearer]
        else:  # the event it concerns, or one the body named with it (`or_events`)
            events = {event, *(failure.get("or_events") or ())}
            exact = [f for f in flags if f.trigger in events and f.bearer == bearer]
        if exact:
            result.failures.append((failure, FLAGGED, exact))
            continue
        near = _near(event, links) if event is not None else set()
        other = [f for f in flags if f.trigger in near]
        result.failures.append((failure, ELSEWHERE if other else MISSED, other))
    for proper in expected.get("proper") or ():
        event, bearer = proper.get("event"), proper["bearer"]
        for f in flags:
            if f.bearer != bearer:
                continue
            if (event is None and bearer == "legislature" and f.standing) or f.trigger == event:
                result.contradicted.append((proper, f))
    return result


@dataclass(frozen=True)
class Totals:
    failures: int
    flagged: int
    elsewhere: int
    missed: int
    contradicted: int
    trials: int = 0  # documented trial failures
    trials_flagged: int = 0
    trials_contradicted: int = 0

    @property
    def trial_recall(self) -> float:
        return self.trials_flagged / self.trials if self.trials else 1.0

    @property
    def recall(self) -> float:
        return self.flagged / self.failures if self.failures else 1.0

    @property
    def lenient(self) -> float:
        return (self.flagged + self.elsewhere) / self.failures if self.failures else 1.0


def totals(cases: Iterable[CaseRecall]) -> Totals:
    cases = list(cases)
    return Totals(
        failures=sum(len(c.failures) for c in cases),
        flagged=sum(c.count(FLAGGED) for c in cases),
        elsewhere=sum(c.count(ELSEWHERE) for c in cases),
        missed=sum(c.count(MISSED) for c in cases),
        contradicted=sum(len(c.contradicted) for c in cases),
        trials=sum(len(c.trials) for c in cases),
        trials_flagged=sum(c.trials_flagged for c in cases),
        trials_contradicted=sum(len(c.trials_contradicted) for c in cases),
    )


def by_bearer(cases: Iterable[CaseRecall]) -> dict[str, tuple[int, int]]:
    """bearer -> (flagged, failures)."""
    found: dict[str, list[int]] = {}
    for case in cases:
        for failure, outcome, _flags in case.failures:
            row = found.setdefault(failure["bearer"], [0, 0])
            row[0] += outcome == FLAGGED
            row[1] += 1
    return {bearer: (a, b) for bearer, (a, b) in sorted(found.items())}
