"""Detention clock and fair-trial flags of a proceeding. Pure: no Django.

Thresholds come from the jurisdiction profile's `proceedings` section (each with its source
and confirmed mark); the functions here only apply them, so each boundary is table-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qorgau.cases.dates import DateSpan


def gettext_noop(message: str) -> str:
    return message


INDICATORS: dict[str, str] = {
    "detention_review": gettext_noop("Pre-trial detention: basis, reasons, periodic review, "
                                     "alternatives"),
    "presumption_of_innocence": gettext_noop("Presumption of innocence"),
    "equality_of_arms": gettext_noop("Equality of arms (access to the file, experts)"),
    "impartial_tribunal": gettext_noop("Impartial tribunal (recusal, substitutions)"),
    "right_to_present_evidence": gettext_noop(
        "Right to present evidence (abuse history, defence witnesses and experts)"),
    "public_hearing": gettext_noop("Public hearing"),
    "undue_delay": gettext_noop("No undue delay (adjournments and their causes)"),
    "reasoned_judgment": gettext_noop("Reasoned judgment and appeal"),
}
OBSERVED, NOT_OBSERVED, NOT_APPLICABLE = "observed", "not_observed", "not_applicable"

FLAGS: dict[str, str] = {
    "lengthy_detention": gettext_noop("Lengthy pre-trial detention: %(months)s months "
                                      "(threshold %(threshold)s)"),
    "retrial_after_mistrial": gettext_noop("Mistrial followed by a retrial instead of "
                                           "dismissal"),
    "substitutions": gettext_noop("Substitution of judge, prosecutor or jury: %(count)s"),
    "repeated_adjournments": gettext_noop("Repeated adjournments: %(count)s "
                                          "(threshold %(threshold)s)"),
    "abuse_evidence_excluded": gettext_noop("Evidence of the abuse history excluded"),
    "prosecuted_after_unenforced_protection": gettext_noop(
        "The survivor is prosecuted after the authorities failed to enforce her protection "
        "(%(count)s breached duties)"),
}


@dataclass(frozen=True)
class Thresholds:
    lengthy_detention_months: int
    repeated_adjournments: int


@dataclass(frozen=True)
class ProceedingEvent:
    number: int
    kind: str
    span: DateSpan
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Clock:
    start: date
    end: date | None  # None: still detained
    days: int
    months: int  # whole months served

    @property
    def running(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Flag:
    id: str
    params: Mapping[str, Any]
    events: tuple[int, ...] = ()

    def text(self, gettext: Any = lambda s: s) -> str:
        return str(gettext(FLAGS[self.id]) % dict(self.params))


def whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def _day(event: ProceedingEvent) -> date | None:
    return event.span.earliest() or event.span.latest()


def detention_clock(events: Sequence[ProceedingEvent], today: date) -> Clock | None:
    """From the first arrest or detention order to the release after it (or today)."""
    ordered = sorted((e for e in events if _day(e)), key=lambda e: (_day(e), e.number))
    start = next((_day(e) for e in ordered if e.kind in ("arrest", "detention_ordered")), None)
    if start is None:
        return None
    end = next((_day(e) for e in ordered if e.kind == "release" and (_day(e) or start) >= start),
               None)
    until = end or today
    return Clock(start, end, (until - start).days, whole_months(start, until))


def derive_flags(events: Sequence[ProceedingEvent], thresholds: Thresholds, today: date,
                 *, against_survivor: bool, breached_protection: Iterable[int] = (),
                 indicators: Iterable[Mapping[str, Any]] = ()) -> list[Flag]:
    """Every flag the proceeding's record raises, as of `today`."""
    found: list[Flag] = []
    clock = detention_clock(events, today)
    if clock and clock.months >= thresholds.lengthy_detention_months:
        found.append(Flag("lengthy_detention", {
            "months": clock.months, "threshold": thresholds.lengthy_detention_months}))
    by_kind: dict[str, list[ProceedingEvent]] = {}
    for e in sorted(events, key=lambda e: (e.span.sort_key(), e.number)):
        by_kind.setdefault(e.kind, []).append(e)
    mistrials = by_kind.get("mistrial", [])
    if mistrials:
        first = mistrials[0]
        later = [e for e in events if e.span.sort_key() > first.span.sort_key()
                 and e.kind in ("jury_selected", "hearing", "verdict")]
        if first.attributes.get("retrial_ordered") or later:
            found.append(Flag("retrial_after_mistrial", {},
                              (first.number, *[e.number for e in later[:1]])))
    substituted = [e for e in events if e.kind == "jury_dismissed"
                   or e.attributes.get("substitution") in ("judge", "prosecutor", "jury")]
    if substituted:
        found.append(Flag("substitutions", {"count": len(substituted)},
                          tuple(e.number for e in substituted)))
    adjourned = [e for e in events if e.kind == "hearing" and e.attributes.get("adjourned")]
    if len(adjourned) >= thresholds.repeated_adjournments:
        found.append(Flag("repeated_adjournments", {
            "count": len(adjourned), "threshold": thresholds.repeated_adjournments},
            tuple(e.number for e in adjourned)))
    excluded = [int(r["event"]) for r in indicators
                if r.get("abuse_evidence_excluded")]
    excluded += [e.number for e in events if e.attributes.get("abuse_evidence_excluded")]
    if excluded:
        found.append(Flag("abuse_evidence_excluded", {}, tuple(sorted(set(excluded)))))
    breached = tuple(sorted(set(breached_protection)))
    if against_survivor and breached:
        found.append(Flag("prosecuted_after_unenforced_protection", {"count": len(breached)},
                          breached))
    return found


def grade_is_valid(grade: str) -> bool:
    return grade in ("A", "B", "C", "D", "E", "F")
