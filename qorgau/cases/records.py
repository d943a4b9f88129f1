"""Canonical record payloads: what the ledger digests for each subject.

The same functions serve the services (at write time) and `verify` (re-derived from the
stored rows), so any change to a stored record shows up as a digest mismatch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qorgau.cases.models import Case, CaseAssignment, Event, Party

# Other apps' records of a block of cases that the ledger vouches for: the block's case ids
# -> {case id: {subject: record}} (a case with none may be left out). One query per table
# for the whole block: `verify` reads cases in blocks.
RecordProvider = Callable[[Sequence[int]], Mapping[int, Mapping[str, Any]]]
PROVIDERS: list[RecordProvider] = []


def register(provider: RecordProvider) -> None:
    """Let `verify` check another app's records of a case against the ledger."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def by_case(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """An empty {subject: record} for each case of a block, for a provider to fill."""
    return {case_id: {} for case_id in case_ids}


def subject(obj: Case | Party | Event | CaseAssignment) -> str:
    prefix = {Case: "case", Party: "party", Event: "event", CaseAssignment: "assignment"}
    return f"{prefix[type(obj)]}:{obj.pk}"


# Each record is built from a row of these columns (`values_list`, as `verify` reads them)
# or from a model instance's attributes of the same names (as the services write them).
CASE_COLUMNS = ("id", "organisation_id", "reference", "profile", "region", "status",
                "created_by_id", "mode")

# Record shapes are versioned by addition: a field added after records were first written is
# digested only when it differs from its default, so every entry written before it was added
# still verifies (docs/records.md). Never change a default listed here.
ADDED_FIELDS: dict[str, dict[str, Any]] = {
    "case": {"mode": "casework"},  # 2026-12: monitoring cases
}


def _with_added(kind: str, record: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    for name, default in ADDED_FIELDS[kind].items():
        if values[name] != default:
            record[name] = values[name]
    return record


def case_record(case: Case) -> dict[str, Any]:
    return case_record_row([getattr(case, name) for name in CASE_COLUMNS])


def case_record_row(row: Sequence[Any]) -> dict[str, Any]:
    pk, organisation, reference, profile, region, status, created_by, mode = row
    return _with_added("case", {
        "id": pk,
        "organisation": organisation,
        "reference": reference,
        "profile": profile,
        "region": region,
        "status": status,
        "created_by": created_by,
    }, {"mode": mode})


ASSIGNMENT_COLUMNS = ("id", "case_id", "user_id", "access")


def assignment_record(assignment: CaseAssignment) -> dict[str, Any]:
    return assignment_record_row([getattr(assignment, name) for name in ASSIGNMENT_COLUMNS])


def assignment_record_row(row: Sequence[Any]) -> dict[str, Any]:
    pk, case, user, access = row
    return {"id": pk, "case": case, "user": user, "access": access}


PARTY_FIELDS = (
    "role", "relationship", "co_resident", "institution", "full_name", "other_names",
    "birth_date", "address", "phone", "documents", "notes", "salt",
)
PARTY_COLUMNS = ("id", "case_id", *PARTY_FIELDS)


def party_record(party: Party) -> dict[str, Any]:
    return party_record_row([getattr(party, name) for name in PARTY_COLUMNS])


def party_record_row(row: Sequence[Any]) -> dict[str, Any]:
    record = {"id": row[0], "case": row[1]}
    record.update(zip(PARTY_FIELDS, row[2:], strict=True))
    return record


EVENT_FIELDS = (
    "number", "kind", "when_start", "when_end", "qualifier", "recurrence", "source",
    "reliability", "institution", "institution_unit", "attributes", "place", "narrative",
    "correction_reason", "salt", "recorded_by_id",
)
EVENT_COLUMNS = ("id", "case_id", *EVENT_FIELDS, "sort_start", "sort_end")


def event_record(
    event: Event,
    parties: list[tuple[int, str]],
    links: list[tuple[int, str]],
    supersedes_number: int | None,
) -> dict[str, Any]:
    """`parties`: (party id, role); `links`: (target event number, link kind)."""
    row = [getattr(event, name) for name in EVENT_COLUMNS]
    return event_record_row(row, parties, links, supersedes_number)


def event_record_row(
    row: Sequence[Any],
    parties: list[tuple[int, str]],
    links: list[tuple[int, str]],
    supersedes_number: int | None,
) -> dict[str, Any]:
    """`row`: the EVENT_COLUMNS of the event; the rest as for `event_record`."""
    record: dict[str, Any] = {"id": row[0], "case": row[1]}
    record.update(zip(EVENT_FIELDS, row[2:-2], strict=True))
    sort_start, sort_end = row[-2], row[-1]
    record["sort_start"] = sort_start.isoformat() if sort_start else None
    record["sort_end"] = sort_end.isoformat() if sort_end else None
    record["supersedes"] = supersedes_number
    record["parties"] = sorted([list(p) for p in parties])
    record["links"] = sorted([list(link) for link in links])
    return record
