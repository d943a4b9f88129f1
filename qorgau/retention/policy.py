"""Retention rules as plain functions (pure): the clock and who may erase when."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

DEFAULT_MONTHS = 84  # seven years; see docs/retention.md

# Why a case is erased. Codes only: the reason stays in the ledger after erasure, so it
# must never hold free text (a name, a story).
RETENTION_ENDED = "retention_ended"
SURVIVOR_REQUEST = "survivor_request"
LEGAL_ORDER = "legal_order"
REASONS = (RETENTION_ENDED, SURVIVOR_REQUEST, LEGAL_ORDER)
# Reasons that allow an administrator to erase before the retention period ends.
EARLY_REASONS = frozenset({SURVIVOR_REQUEST, LEGAL_ORDER})

# Who is asking (see `refusal`).
SYSTEM, ADMIN, SUPERVISOR, OTHER = "system", "admin", "supervisor", "other"


def add_months(day: date, months: int) -> date:
    """`day` moved `months` ahead; the 31st becomes the last day of a shorter month."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retain_until(closed_on: date, months: int) -> date:
    """The last day a closed case is kept."""
    return add_months(closed_on, months)


def is_due(retained_until: date | None, today: date) -> bool:
    """Past its retention period: the day after retain-until, or later."""
    return retained_until is not None and today > retained_until


@dataclass(frozen=True)
class Situation:
    """What erasure depends on."""

    status: str  # open / closed / erased
    held: bool
    retained_until: date | None
    today: date
    who: str  # SYSTEM, ADMIN, SUPERVISOR or OTHER
    reason: str


# Refusals, as codes the service turns into plain sentences.
NOT_ALLOWED = "not_allowed"
UNKNOWN_REASON = "unknown_reason"
ALREADY_ERASED = "already_erased"
OPEN = "open"
HELD = "held"
NOT_DUE = "not_due"
EARLY_NEEDS_ADMIN = "early_needs_admin"


def refusal(s: Situation) -> str | None:
    """Why this erasure may not happen, or None when it may.

    A supervisor or administrator (assigned to the case) erases a closed case past its
    retention period, as does the system (`erase-expired`). Before the period ends only an
    administrator may, and only for the survivor's request or a legal order. Nobody erases an
    open case or a case under legal hold.
    """
    if s.who not in (SYSTEM, ADMIN, SUPERVISOR):
        return NOT_ALLOWED
    if s.reason not in REASONS:
        return UNKNOWN_REASON
    if s.status == "erased":
        return ALREADY_ERASED
    if s.status != "closed":
        return OPEN
    if s.held:
        return HELD
    if is_due(s.retained_until, s.today):
        return None
    if s.who == SYSTEM or s.reason not in EARLY_REASONS:
        return NOT_DUE
    if s.who != ADMIN:
        return EARLY_NEEDS_ADMIN
    return None
