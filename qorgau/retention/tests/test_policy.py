"""The pure retention rules, table by table."""

from __future__ import annotations

from datetime import date

import pytest

from qorgau.retention import policy as p


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 15), 84, date(2033, 1, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 1), 0, date(2026, 12, 1)),
])
def test_add_months(day, months, expected):
    assert p.add_months(day, months) == expected


def test_negative_months_are_refused():
    with pytest.raises(ValueError):
        p.add_months(date(2026, 1, 1), -1)


def test_due_the_day_after_retain_until():
    until = date(2033, 1, 15)
    assert not p.is_due(until, until)
    assert p.is_due(until, date(2033, 1, 16))
    assert not p.is_due(None, date(2099, 1, 1))


UNTIL = date(2033, 1, 15)
BEFORE, AFTER = date(2030, 1, 1), date(2033, 1, 16)


@pytest.mark.parametrize(("status", "held", "today", "who", "reason", "expected"), [
    # past retain-until: managers and the system erase
    ("closed", False, AFTER, p.SUPERVISOR, p.RETENTION_ENDED, None),
    ("closed", False, AFTER, p.ADMIN, p.RETENTION_ENDED, None),
    ("closed", False, AFTER, p.SYSTEM, p.RETENTION_ENDED, None),
    ("closed", False, AFTER, p.OTHER, p.RETENTION_ENDED, p.NOT_ALLOWED),
    # a hold blocks everyone, at any date, for any reason
    ("closed", True, AFTER, p.SYSTEM, p.RETENTION_ENDED, p.HELD),
    ("closed", True, BEFORE, p.ADMIN, p.SURVIVOR_REQUEST, p.HELD),
    # open, erased, unknown reason
    ("open", False, AFTER, p.ADMIN, p.SURVIVOR_REQUEST, p.OPEN),
    ("erased", False, AFTER, p.ADMIN, p.RETENTION_ENDED, p.ALREADY_ERASED),
    ("closed", False, AFTER, p.ADMIN, "bored", p.UNKNOWN_REASON),
    # before retain-until: an admin, for the survivor's request or a legal order, only
    ("closed", False, UNTIL, p.SUPERVISOR, p.RETENTION_ENDED, p.NOT_DUE),
    ("closed", False, BEFORE, p.SYSTEM, p.RETENTION_ENDED, p.NOT_DUE),
    ("closed", False, BEFORE, p.SYSTEM, p.SURVIVOR_REQUEST, p.NOT_DUE),
    ("closed", False, BEFORE, p.ADMIN, p.RETENTION_ENDED, p.NOT_DUE),
    ("closed", False, BEFORE, p.SUPERVISOR, p.SURVIVOR_REQUEST, p.EARLY_NEEDS_ADMIN),
    ("closed", False, BEFORE, p.ADMIN, p.SURVIVOR_REQUEST, None),
    ("closed", False, BEFORE, p.ADMIN, p.LEGAL_ORDER, None),
])
def test_refusal(status, held, today, who, reason, expected):
    assert p.refusal(p.Situation(status, held, UNTIL, today, who, reason)) == expected


def test_a_closed_case_without_a_date_is_never_due():
    situation = p.Situation("closed", False, None, AFTER, p.SUPERVISOR, p.RETENTION_ENDED)
    assert p.refusal(situation) == p.NOT_DUE
