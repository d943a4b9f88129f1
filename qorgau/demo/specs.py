"""Demo cases as plain data, written later by the loader through the case services.

Parties and events are named by keys local to their case; an event names the parties it
involves and the earlier events it links to by those keys. A correction is an event spec
with `corrects` set to the key of the event it supersedes; afterwards the key names the
correction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PartySpec:
    key: str
    role: str
    full_name: str
    relationship: str = ""
    co_resident: bool | None = None
    institution: str = ""
    birth_date: str = ""
    notes: str = ""


@dataclass(frozen=True)
class EventSpec:
    key: str
    kind: str
    start: str = ""
    end: str = ""
    qualifier: str = "none"
    recurrence: str = "once"
    source: str = "survivor"
    reliability: str = "probable"
    institution: str = ""
    institution_unit: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    place: str = ""
    narrative: str = ""
    parties: tuple[tuple[str, str], ...] = ()  # (party key, role in the event)
    links: tuple[tuple[str, str], ...] = ()  # (earlier event key, link kind)
    by: str = "caseworker"  # demo role of the user who records it
    corrects: str = ""  # key of the event this one supersedes
    reason: str = ""  # why (corrections only)


@dataclass(frozen=True)
class ProceedingSpec:
    kind: str
    court: str
    charges: tuple[tuple[str, str], ...]  # (text, article)
    participants: tuple[tuple[str, str], ...]  # (party key, role)
    events: tuple[str, ...]  # event keys
    status: str = "trial"


@dataclass(frozen=True)
class CaseSpec:
    reference: str
    region: str
    parties: tuple[PartySpec, ...]
    events: tuple[EventSpec, ...]
    profile: str = "kz"
    supervised: bool = True  # the supervisor is assigned
    closed: bool = False
    # An open-screen assessment by the caseworker: every timeline suggestion confirmed,
    # plus these asked answers (item id -> yes/no/unknown). None: no assessment.
    assessment: tuple[tuple[str, str], ...] | None = None
    exhibits: bool = False  # attach the fictional demo exhibits
    proceeding: ProceedingSpec | None = None
    # The survivor's written consent to a court bundle (timeline, duties, evidence), given
    # to the lawyer on the day the demo is loaded, for COURT_CONSENT_DAYS.
    court_consent: bool = False
