"""Referrals: needs, provider kinds, the states a referral moves through, and which
providers match a need. Pure: no Django.

Labels and messages are English msgids; the web layer translates them with gettext.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qorgau.cases.regions import canonical


def gettext_noop(message: str) -> str:
    return message


_ = gettext_noop

NEEDS: dict[str, str] = {
    "shelter": _("Shelter"),
    "psychological": _("Psychological support"),
    "legal": _("Legal aid"),
    "medical": _("Medical care"),
    "economic": _("Economic support"),
}

PROVIDER_KINDS: dict[str, str] = {
    "crisis_centre": _("Crisis centre"),
    "shelter": _("Shelter"),
    "family_support": _("Family support centre"),
    "legal_aid": _("Legal aid"),
    "psychological": _("Psychological service"),
    "medical": _("Medical service"),
    "hotline": _("Hotline"),
}

LANGUAGES: dict[str, str] = {"kk": _("Kazakh"), "ru": _("Russian"), "en": _("English")}

# A provider that serves the whole country (a hotline) has this region.
NATIONWIDE = "nationwide"
NATIONWIDE_LABEL = _("Nationwide")

MADE, ACCEPTED, DECLINED, STARTED, COMPLETED, WITHDRAWN = (
    "made", "accepted", "declined", "started", "completed", "withdrawn")
STATES: dict[str, str] = {
    MADE: _("Made, awaiting an answer"),
    ACCEPTED: _("Accepted"),
    DECLINED: _("Declined"),
    STARTED: _("Service started"),
    COMPLETED: _("Completed"),
    WITHDRAWN: _("Withdrawn by the survivor"),
}
TERMINAL = frozenset({DECLINED, COMPLETED, WITHDRAWN})
# Where each state may go next. The survivor may withdraw at any point before the end.
TRANSITIONS: dict[str, frozenset[str]] = {
    MADE: frozenset({ACCEPTED, DECLINED, WITHDRAWN}),
    ACCEPTED: frozenset({STARTED, WITHDRAWN}),
    STARTED: frozenset({COMPLETED, WITHDRAWN}),
    DECLINED: frozenset(),
    COMPLETED: frozenset(),
    WITHDRAWN: frozenset(),
}
# States that need a reason in words.
NEEDS_REASON = frozenset({DECLINED, WITHDRAWN})
# The timeline event a state records, where the taxonomy has a kind for it.
EVENT_KINDS: dict[str, str] = {MADE: "referral_made", ACCEPTED: "referral_accepted",
                               DECLINED: "referral_declined", STARTED: "service_started",
                               COMPLETED: "service_completed", WITHDRAWN: "referral_withdrawn"}
# The moves a provider makes itself (the survivor's withdrawal is recorded by her caseworkers).
PROVIDER_MOVES = frozenset({ACCEPTED, DECLINED, STARTED, COMPLETED})

MESSAGES: dict[str, str] = {
    "unknown": _("Choose a state from the list."),
    "terminal": _("This referral is already %(state)s; it cannot change any more."),
    "not_next": _("A referral that is %(state)s cannot become %(target)s."),
    "reason": _("Say why (for example: no places, or she changed her mind)."),
    "not_provider": _("Only the survivor's caseworkers record that she withdrew."),
}


@dataclass(frozen=True)
class Refusal:
    code: str  # a key of MESSAGES
    state: str
    target: str


def check_transition(current: str, target: str, reason: str = "") -> Refusal | None:
    """None if a referral in `current` may become `target` (with this reason); else why not."""
    if target not in STATES:
        return Refusal("unknown", current, target)
    if current in TERMINAL:
        return Refusal("terminal", current, target)
    if target not in TRANSITIONS[current]:
        return Refusal("not_next", current, target)
    if target in NEEDS_REASON and not reason.strip():
        return Refusal("reason", current, target)
    return None


def check_provider_move(current: str, target: str, reason: str = "") -> Refusal | None:
    """As check_transition, for a move the provider makes itself."""
    if target in STATES and target not in PROVIDER_MOVES:
        return Refusal("not_provider", current, target)
    return check_transition(current, target, reason)


def next_states(current: str, provider: bool = False) -> list[str]:
    return [s for s in STATES if s in TRANSITIONS.get(current, frozenset())
            and (not provider or s in PROVIDER_MOVES)]


@dataclass(frozen=True)
class Provider:
    """What matching depends on."""

    id: int
    region: str
    services: frozenset[str]
    accepts_children: bool = False
    boys_max_age: int | None = None  # None: boys of any age are not accepted (or unknown)
    accessible: bool = False
    places_available: int | None = None  # shelters; None: not known
    active: bool = True


@dataclass(frozen=True)
class Need:
    need: str
    region: str
    with_children: bool = False
    oldest_boy: int | None = None
    accessible: bool = False


@dataclass(frozen=True)
class Match:
    provider: int
    # Why the provider may not fit although it offers the service (msgids); empty: it fits.
    doubts: tuple[str, ...]


def match(providers: Iterable[Provider], need: Need) -> list[Match]:
    """Providers offering the need in her region (or nationwide) that take her: those that fit
    first, then those with doubts (capacity not known). Providers that cannot take her
    (no places, no children, boys too old, not accessible) are left out."""
    fits: list[Match] = []
    doubtful: list[Match] = []
    for p in providers:
        if not p.active or need.need not in p.services:
            continue
        if p.region != NATIONWIDE and canonical(p.region) != canonical(need.region):
            continue
        if need.with_children and not p.accepts_children:
            continue
        if need.oldest_boy is not None and (p.boys_max_age is None
                                            or need.oldest_boy > p.boys_max_age):
            continue
        if need.accessible and not p.accessible:
            continue
        doubts: list[str] = []
        if need.need == "shelter":
            if p.places_available is None:
                doubts.append(_("places available not known"))
            elif p.places_available <= 0:
                continue
        (doubtful if doubts else fits).append(Match(p.id, tuple(doubts)))
    return fits + doubtful
