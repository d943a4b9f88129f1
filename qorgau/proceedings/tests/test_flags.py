"""Clock and flags: table tests at every threshold boundary, and the reference case."""

from __future__ import annotations

from datetime import date

import pytest

from qorgau.cases.dates import DateSpan
from qorgau.proceedings.flags import (
    ProceedingEvent,
    Thresholds,
    derive_flags,
    detention_clock,
    whole_months,
)

LIMITS = Thresholds(lengthy_detention_months=12, repeated_adjournments=3)


def ev(number: int, kind: str, when: str, **attributes: object) -> ProceedingEvent:
    return ProceedingEvent(number, kind, DateSpan.parse(when), attributes)


def ids(flags) -> set[str]:
    return {f.id for f in flags}


@pytest.mark.parametrize(("start", "end", "months"), [
    (date(2024, 2, 26), date(2024, 2, 26), 0),
    (date(2024, 2, 26), date(2024, 3, 25), 0),
    (date(2024, 2, 26), date(2024, 3, 26), 1),
    (date(2024, 2, 26), date(2025, 2, 25), 11),
    (date(2024, 2, 26), date(2025, 2, 26), 12),
    (date(2024, 1, 31), date(2024, 2, 29), 0),
    (date(2024, 1, 31), date(2024, 3, 31), 2),
])
def test_whole_months(start, end, months):
    assert whole_months(start, end) == months


@pytest.mark.parametrize(("today", "flagged"), [
    (date(2025, 2, 25), False),  # 11 months and 30 days
    (date(2025, 2, 26), True),   # 12 months: the threshold
    (date(2025, 2, 27), True),
])
def test_lengthy_detention_at_the_boundary(today, flagged):
    events = [ev(1, "arrest", "2024-02-26")]
    assert ("lengthy_detention" in ids(derive_flags(events, LIMITS, today,
                                                    against_survivor=True))) is flagged


def test_release_stops_the_clock():
    events = [ev(1, "arrest", "2024-02-26"), ev(2, "release", "2024-08-26")]
    clock = detention_clock(events, date(2026, 1, 1))
    assert clock is not None and not clock.running and clock.months == 6
    assert "lengthy_detention" not in ids(derive_flags(events, LIMITS, date(2026, 1, 1),
                                                       against_survivor=True))


def test_no_detention_no_clock():
    assert detention_clock([ev(1, "hearing", "2024-05-01")], date(2025, 1, 1)) is None


@pytest.mark.parametrize(("adjournments", "flagged"), [(2, False), (3, True), (4, True)])
def test_repeated_adjournments_at_the_boundary(adjournments, flagged):
    events = [ev(i, "hearing", f"2024-0{i}-10", adjourned=True)
              for i in range(1, adjournments + 1)]
    events.append(ev(9, "hearing", "2024-09-10"))  # held, not adjourned
    assert ("repeated_adjournments" in ids(derive_flags(
        events, LIMITS, date(2025, 1, 1), against_survivor=False))) is flagged


def test_mistrial_then_retrial():
    only_mistrial = [ev(1, "mistrial", "2025-05-19")]
    assert "retrial_after_mistrial" not in ids(derive_flags(
        only_mistrial, LIMITS, date(2025, 6, 1), against_survivor=True))
    ordered = [ev(1, "mistrial", "2025-05-19", retrial_ordered=True)]
    assert "retrial_after_mistrial" in ids(derive_flags(
        ordered, LIMITS, date(2025, 6, 1), against_survivor=True))
    new_jury = [*only_mistrial, ev(2, "jury_selected", "2025-06-23")]
    assert "retrial_after_mistrial" in ids(derive_flags(
        new_jury, LIMITS, date(2025, 7, 1), against_survivor=True))


def test_substitutions_count_dismissed_juries_and_replaced_officials():
    events = [ev(1, "jury_dismissed", "2025-05-19"),
              ev(2, "hearing", "2025-07-01", substitution="judge"),
              ev(3, "hearing", "2025-08-01")]
    (flag,) = [f for f in derive_flags(events, LIMITS, date(2025, 9, 1),
                                       against_survivor=True) if f.id == "substitutions"]
    assert flag.params["count"] == 2 and flag.events == (1, 2)


def test_abuse_evidence_excluded_from_a_hearing_record():
    events = [ev(4, "hearing", "2025-07-01")]
    assert "abuse_evidence_excluded" not in ids(derive_flags(
        events, LIMITS, date(2025, 9, 1), against_survivor=True))
    flagged = derive_flags(events, LIMITS, date(2025, 9, 1), against_survivor=True,
                           indicators=[{"event": 4, "abuse_evidence_excluded": True}])
    assert "abuse_evidence_excluded" in ids(flagged)


def test_prosecuted_after_unenforced_protection_needs_both():
    events = [ev(1, "arrest", "2024-02-26")]
    today = date(2025, 1, 1)
    assert "prosecuted_after_unenforced_protection" not in ids(derive_flags(
        events, LIMITS, today, against_survivor=True, breached_protection=[]))
    assert "prosecuted_after_unenforced_protection" not in ids(derive_flags(
        events, LIMITS, today, against_survivor=False, breached_protection=[16, 20]))
    (flag,) = [f for f in derive_flags(events, LIMITS, today, against_survivor=True,
                                       breached_protection=[20, 16])
               if f.id == "prosecuted_after_unenforced_protection"]
    assert flag.events == (16, 20) and "2 breached duties" in flag.text()
