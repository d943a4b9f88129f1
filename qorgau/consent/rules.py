"""Consent grants: purposes, data categories, validity and coverage. Pure: no Django.

Messages are English msgids; the services translate them with gettext.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def gettext_noop(message: str) -> str:
    return message


_ = gettext_noop

PURPOSES: dict[str, str] = {
    "referral": _("Referral to another organisation"),
    "court": _("Court bundle"),
    "transfer": _("Case-file transfer to another system or organisation"),
    "complaint": _("Complaint to an authority (a letter to the prosecutor)"),
}

# What a grant may cover. Restricted events (self-harm) are in no category: never shared.
CATEGORIES: dict[str, str] = {
    "identity": _("Identity: names, roles and relationships of the people in the case"),
    "contact": _("Contact: addresses and phone numbers"),
    "timeline": _("Timeline: events, dates, places and narratives"),
    "risk": _("Risk: assessment dates, instruments and levels"),
    "safety_plan": _("Safety plan"),
    "duties": _("Duties: what the authorities owed and whether they did it"),
    "evidence": _("Evidence: the exhibits (in a bundle, their bytes)"),
    "proceedings": _("Proceedings: courts, charges and status"),
}

# What each use needs the grant to cover.
BUNDLE_CATEGORIES = frozenset({"timeline", "duties", "evidence"})
EXPORT_CATEGORIES = frozenset({"identity", "contact", "timeline"})
# A complaint letter names her and states the facts and the duties breached; the exhibits
# it lists as attachments need "evidence" too.
COMPLAINT_CATEGORIES = frozenset({"identity", "timeline", "duties"})

# Event kinds that belong to a category other than the timeline: a share shows them only
# when that category is granted too.
KIND_CATEGORIES: dict[str, str] = {"risk_assessment": "risk", "safety_plan": "safety_plan"}

MAX_VALIDITY = timedelta(days=366)

VALID, EXPIRED, REVOKED = "valid", "expired", "revoked"
STATES: dict[str, str] = {VALID: _("Valid"), EXPIRED: _("Expired"), REVOKED: _("Revoked")}

MESSAGES: dict[str, str] = {
    "none": _("There is no consent from the survivor for this (%(purpose)s). Record her "
              "consent on the case's Consent page first."),
    "expired": _("The survivor's consent no. %(grant)s expired on %(expired)s."),
    "revoked": _("The survivor revoked consent no. %(grant)s on %(revoked)s."),
    "purpose": _("Consent no. %(grant)s was given for another purpose (%(given)s), "
                 "not for this (%(purpose)s)."),
    "categories": _("Consent no. %(grant)s does not cover: %(missing)s."),
    "recipient": _("Consent no. %(grant)s names another recipient."),
}


@dataclass(frozen=True)
class Grant:
    """What validity and coverage depend on."""

    id: int
    purpose: str
    categories: frozenset[str]
    expires_at: datetime
    revoked_at: datetime | None = None
    recipient_organisation: int | None = None


@dataclass(frozen=True)
class Refusal:
    code: str  # a key of MESSAGES
    grant: int | None = None
    missing: tuple[str, ...] = ()


def state(grant: Grant, now: datetime) -> str:
    if grant.revoked_at is not None and grant.revoked_at <= now:
        return REVOKED
    if now >= grant.expires_at:
        return EXPIRED
    return VALID


def is_valid(grant: Grant, now: datetime) -> bool:
    return state(grant, now) == VALID


def unknown_categories(categories: Iterable[str]) -> list[str]:
    return sorted(set(categories) - set(CATEGORIES))


def check(grant: Grant | None, now: datetime, purpose: str, categories: Iterable[str],
          recipient_organisation: int | None = None) -> Refusal | None:
    """None if `grant` allows this use now; else why not."""
    if grant is None:
        return Refusal("none")
    current = state(grant, now)
    if current != VALID:
        return Refusal(current, grant.id)
    if grant.purpose != purpose:
        return Refusal("purpose", grant.id)
    if recipient_organisation is not None and grant.recipient_organisation != \
            recipient_organisation:
        return Refusal("recipient", grant.id)
    order = list(CATEGORIES)
    missing = tuple(sorted(set(categories) - grant.categories,
                           key=lambda c: order.index(c) if c in order else len(order)))
    if missing:
        return Refusal("categories", grant.id, missing)
    return None


def first_allowing(grants: Iterable[Grant], now: datetime, purpose: str,
                   categories: Iterable[str],
                   recipient_organisation: int | None = None) -> Grant | Refusal:
    """The grant that allows this use (the one valid longest), or the most telling refusal:
    that of the newest grant for this purpose, else "none"."""
    wanted = frozenset(categories)
    allowing = [g for g in grants if check(g, now, purpose, wanted,
                                           recipient_organisation) is None]
    if allowing:
        return max(allowing, key=lambda g: (g.expires_at, g.id))
    same_purpose = [g for g in grants if g.purpose == purpose]
    if not same_purpose:
        return Refusal("none")
    newest = max(same_purpose, key=lambda g: g.id)
    refusal = check(newest, now, purpose, wanted, recipient_organisation)
    assert refusal is not None
    return refusal


def shared_kinds_excluded(categories: Iterable[str]) -> frozenset[str]:
    """Event kinds a share with these categories does not show (restricted kinds are
    excluded separately and always)."""
    granted = set(categories)
    return frozenset(kind for kind, category in KIND_CATEGORIES.items()
                     if category not in granted)
