"""Re-derive every case's ledger chain and records from the database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qorgau.cases import ledger, records
from qorgau.cases.models import Case, CaseAssignment, Event, LedgerEntry, Party
from qorgau.cases.services import ERASE_ACTION, READ_ACTIONS, ledger_entry


@dataclass(frozen=True)
class CaseReport:
    case_id: int
    reference: str
    entries: int
    problem: ledger.Problem | None


def _current_records(case_id: int) -> dict[str, Any]:
    current: dict[str, Any] = {}
    for case in Case.objects.filter(pk=case_id):
        current[records.subject(case)] = records.case_record(case)
    for assignment in CaseAssignment.objects.filter(case_id=case_id):
        current[records.subject(assignment)] = records.assignment_record(assignment)
    for party in Party.objects.filter(case_id=case_id):
        current[records.subject(party)] = records.party_record(party)
    events = Event.objects.filter(case_id=case_id).select_related("supersedes").prefetch_related(
        "event_parties", "links_out__target"
    )
    for event in events:
        current[records.subject(event)] = records.event_record_from_db(event)
    for provider in records.PROVIDERS:
        current.update(provider(case_id))
    return current


def verify_case(case_id: int, reference: str) -> CaseReport:
    entries = list(LedgerEntry.objects.filter(case_id=case_id).order_by("seq"))
    problem = ledger.verify_chain(ledger_entry(e) for e in entries)
    if problem is None:
        latest: dict[str, ledger.Write] = {}
        for entry in entries:
            if entry.action in READ_ACTIONS:
                if ledger.payload_digest(entry.detail, None) != entry.payload_digest:
                    problem = ledger.Problem(entry.seq, "read entry differs from its digest")
                    break
                continue
            if entry.action == ERASE_ACTION:
                # Erasure removed every record of the case written so far; only the case
                # row (the tombstone this entry records) remains.
                for subject, write in latest.items():
                    latest[subject] = ledger.Write(write.seq, {}, "", removed=True)
            latest[entry.subject] = ledger.Write(
                entry.seq, entry.detail, entry.payload_digest,
                removed=entry.action.endswith(".remove"),
            )
        else:
            try:
                current = _current_records(case_id)
            except Exception as exc:  # undecryptable or malformed rows are tampering too
                problem = ledger.Problem(None, f"a record cannot be read: {type(exc).__name__}")
            else:
                problems = ledger.verify_records(latest, current)
                problem = problems[0] if problems else None
    return CaseReport(case_id, reference, len(entries), problem)


def verify_all() -> Iterator[CaseReport]:
    # Cases known only to the ledger (their row deleted) are checked too.
    case_ids = set(Case.objects.values_list("pk", flat=True))
    case_ids |= set(LedgerEntry.objects.values_list("case_id", flat=True).distinct())
    references = dict(Case.objects.values_list("pk", "reference"))
    for case_id in sorted(case_ids):
        yield verify_case(case_id, references.get(case_id, f"<missing case {case_id}>"))
