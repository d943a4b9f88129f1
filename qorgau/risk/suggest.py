"""Answers the timeline already suggests. Pure: no Django.

A suggestion is never an answer: the assessor confirms or rejects each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qorgau.cases.dates import DateSpan
from qorgau.risk.instruments import Instrument, Suggestion


@dataclass(frozen=True)
class TimelineFact:
    number: int
    kind: str
    span: DateSpan
    attributes: Mapping[str, Any]


def _fits(fact: TimelineFact, hint: Suggestion) -> bool:
    if fact.kind not in hint.kinds:
        return False
    for name, accepted in hint.attributes.items():
        if fact.attributes.get(name) not in accepted:
            return False
    if hint.recurring_years:
        span = fact.span
        if span.recurrence == "once" or not (span.start and span.end):
            return False
        lasted = span.end.upper() - span.start.lower()
        if lasted.days < 365 * hint.recurring_years:
            return False
    return True


def suggestions(instrument: Instrument,
                facts: Iterable[TimelineFact]) -> dict[str, list[TimelineFact]]:
    """item id -> the events suggesting "yes", in chronological order."""
    ordered = sorted(facts, key=lambda f: (f.span.sort_key(), f.number))
    found: dict[str, list[TimelineFact]] = {}
    for item in instrument.items:
        if item.suggested_by is None:
            continue
        hits = [f for f in ordered if _fits(f, item.suggested_by)]
        if hits:
            found[item.id] = hits
    return found
