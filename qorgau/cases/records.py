"""Canonical record payloads: what the ledger digests for each subject.

The same functions serve the services (at write time) and `verify` (re-derived from the
stored rows), so any change to a stored record shows up as a digest mismatch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qorgau.cases.models import Case, CaseAssignment, Event, Party

# Other apps' records of a case that the ledger vouches for: case id -> {subject: record}.
RecordProvider = Callable[[int], dict[str, Any]]
PROVIDERS: list[RecordProvider] = []


def register(provider: RecordProvider) -> None:
    """Let `verify` check another app's records of a case against the ledger."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def subject(obj: Case | Party | Event | CaseAssignment) -> str:
    prefix = {Case: "case", Party: "party", Event: "event", CaseAssignment: "assignment"}
    return f"{prefix[type(obj)]}:{obj.pk}"


def case_record(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "organisation": case.organisation_id,
        "reference": case.reference,
        "profile": case.profile,
        "region": case.region,
        "status": case.status,
        "created_by": case.created_by_id,
    }


def assignment_record(assignment: CaseAssignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "case": assignment.case_id,
        "user": assignment.user_id,
        "access": assignment.access,
    }


PARTY_FIELDS = (
    "role", "relationship", "co_resident", "institution", "full_name", "other_names",
    "birth_date", "address", "phone", "documents", "notes", "salt",
)


def party_record(party: Party) -> dict[str, Any]:
    record = {"id": party.pk, "case": party.case_id}
    record.update({name: getattr(party, name) for name in PARTY_FIELDS})
    return record


EVENT_FIELDS = (
    "number", "kind", "when_start", "when_end", "qualifier", "recurrence", "source",
    "reliability", "institution", "institution_unit", "attributes", "place", "narrative",
    "correction_reason", "salt", "recorded_by_id",
)


def event_record(
    event: Event,
    parties: list[tuple[int, str]],
    links: list[tuple[int, str]],
    supersedes_number: int | None,
) -> dict[str, Any]:
    """`parties`: (party id, role); `links`: (target event number, link kind)."""
    record: dict[str, Any] = {"id": event.pk, "case": event.case_id}
    record.update({name: getattr(event, name) for name in EVENT_FIELDS})
    record["sort_start"] = event.sort_start.isoformat() if event.sort_start else None
    record["sort_end"] = event.sort_end.isoformat() if event.sort_end else None
    record["supersedes"] = supersedes_number
    record["parties"] = sorted([list(p) for p in parties])
    record["links"] = sorted([list(link) for link in links])
    return record


def event_record_from_db(event: Event) -> dict[str, Any]:
    """Record of a stored event; expects event_parties and links_out prefetched."""
    parties = [(ep.party_id, ep.role) for ep in event.event_parties.all()]
    links = [(link.target.number, link.kind) for link in event.links_out.all()]
    supersedes = event.supersedes.number if event.supersedes is not None else None
    return event_record(event, parties, links, supersedes)
