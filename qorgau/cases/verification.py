"""Re-derive every case's ledger chain and records from the database.

Cases are read in blocks: one query per table for a block of cases (ledger entries
included), raw column values rather than model instances, each case then checked on its
own exactly as `verify_case` checks a single case.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import util
from typing import Any

from django.db import connection, connections

from qorgau.cases import ledger, records
from qorgau.cases.models import (
    Case,
    CaseAssignment,
    Event,
    EventLink,
    EventParty,
    LedgerEntry,
    Party,
)
from qorgau.cases.services import ERASE_ACTION, LEDGER_COLUMNS, READ_ACTIONS, ledger_entry_row

BLOCK = 500  # cases read together


@dataclass(frozen=True)
class CaseReport:
    case_id: int
    reference: str
    entries: int
    problem: ledger.Problem | None


# A case's ledger as stored, in seq order: each entry as hashed, with its detail.
Entries = list[tuple[ledger.Entry, Any]]


def _ledgers(case_ids: Sequence[int]) -> dict[int, Entries]:
    found: dict[int, Entries] = {case_id: [] for case_id in case_ids}
    rows = (LedgerEntry.objects.filter(case_id__in=case_ids).order_by("case_id", "seq")
            .values_list("detail", *LEDGER_COLUMNS))
    for row in rows:
        found[row[1]].append((ledger_entry_row(row[1:]), row[0]))
    return found


def _records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Every stored record of the cases, as the ledger digests them: {case id: {subject:
    record}}. Raises if a row cannot be read (undecryptable, malformed)."""
    current: dict[int, dict[str, Any]] = {case_id: {} for case_id in case_ids}
    for row in Case.objects.filter(pk__in=case_ids).values_list(*records.CASE_COLUMNS):
        current[row[0]][f"case:{row[0]}"] = records.case_record_row(row)
    assignments = CaseAssignment.objects.filter(case_id__in=case_ids).order_by("pk")
    for row in assignments.values_list(*records.ASSIGNMENT_COLUMNS):
        current[row[1]][f"assignment:{row[0]}"] = records.assignment_record_row(row)
    parties = Party.objects.filter(case_id__in=case_ids).order_by("pk")
    for row in parties.values_list(*records.PARTY_COLUMNS):
        current[row[1]][f"party:{row[0]}"] = records.party_record_row(row)

    events = list(Event.objects.filter(case_id__in=case_ids).order_by("pk")
                  .values_list(*records.EVENT_COLUMNS, "supersedes_id"))
    number_at = records.EVENT_COLUMNS.index("number")
    numbers = {row[0]: row[number_at] for row in events}
    roles: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for event_id, party_id, role in EventParty.objects.filter(
            event__case_id__in=case_ids).values_list("event_id", "party_id", "role"):
        roles[event_id].append((party_id, role))
    links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for source_id, target_id, kind in EventLink.rows_from(
            [row[0] for row in events], "source_id", "target_id", "kind"):
        links[source_id].append((target_id, kind))
    # Events of other cases that these link to or correct (only by tampering).
    elsewhere = {t for found in links.values() for t, _kind in found if t not in numbers}
    elsewhere |= {row[-1] for row in events if row[-1] is not None and row[-1] not in numbers}
    if elsewhere:
        numbers.update(Event.objects.filter(pk__in=elsewhere).values_list("pk", "number"))
    for row in events:
        supersedes = numbers.get(row[-1]) if row[-1] is not None else None
        targets = []
        for target_id, kind in links.get(row[0], ()):
            if target_id not in numbers:
                raise Event.DoesNotExist(f"link target {target_id}")
            targets.append((numbers[target_id], kind))
        current[row[1]][f"event:{row[0]}"] = records.event_record_row(
            row[:-1], roles.get(row[0], []), targets, supersedes)

    for provider in records.PROVIDERS:
        for case_id, found in provider(case_ids).items():
            if case_id in current:
                current[case_id].update(found)
    return current


def _check(entries: Entries, read_records: Callable[[], dict[str, Any]]) -> ledger.Problem | None:
    """First problem of one case: its chain, then its records against the ledger's last
    word on each (read only if the chain holds)."""
    problem = ledger.verify_chain(entry for entry, _detail in entries)
    if problem is not None:
        return problem
    latest: dict[str, ledger.Write] = {}
    for entry, detail in entries:
        if entry.action in READ_ACTIONS:
            if not ledger.payload_matches(detail, None, entry.payload_digest):
                return ledger.Problem(entry.seq, "read entry differs from its digest")
            continue
        if entry.action == ERASE_ACTION:
            # Erasure removed every record of the case written so far; only the case
            # row (the tombstone this entry records) remains.
            for subject, write in latest.items():
                latest[subject] = ledger.Write(write.seq, {}, "", removed=True)
        latest[entry.subject] = ledger.Write(
            entry.seq, detail, entry.payload_digest,
            removed=entry.action.endswith(".remove"),
        )
    try:
        current = read_records()
    except Exception as exc:  # undecryptable or malformed rows are tampering too
        return ledger.Problem(None, f"a record cannot be read: {type(exc).__name__}")
    problems = ledger.verify_records(latest, current)
    return problems[0] if problems else None


def _reference(references: dict[int, str], case_id: int) -> str:
    return references.get(case_id, f"<missing case {case_id}>")


def verify_case(case_id: int, reference: str) -> CaseReport:
    entries = _ledgers([case_id])[case_id]
    problem = _check(entries, lambda: _records([case_id])[case_id])
    return CaseReport(case_id, reference, len(entries), problem)


def verify_block(case_ids: Sequence[int]) -> Iterator[CaseReport]:
    """`verify_case` for each of the cases (ascending ids), reading them together."""
    references = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "reference"))
    reports = _block_reports_or_none(case_ids, references)
    if reports is None:
        # A row that cannot be read spoils the block's query: case by case then, so the
        # report names the case the row belongs to.
        for case_id in case_ids:
            yield verify_case(case_id, _reference(references, case_id))
        return
    yield from reports


def _block_reports_or_none(case_ids: Sequence[int],
                           references: dict[int, str]) -> list[CaseReport] | None:
    # The block's rows make many small objects and no reference cycles: the cyclic
    # garbage collector would only walk them again and again (about 15% of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            ledgers = _ledgers(case_ids)
            current = _records(case_ids)
        except Exception:  # noqa: BLE001 -- any unreadable row, whatever it raises
            return None
        reports = []
        for case_id in case_ids:
            entries = ledgers[case_id]
            problem = _check(entries, lambda c=case_id: current[c])  # type: ignore[misc]
            reports.append(
                CaseReport(case_id, _reference(references, case_id), len(entries), problem))
        return reports
    finally:
        if collecting:
            gc.enable()


def _in_a_process(case_ids: list[int]) -> list[CaseReport]:
    return list(verify_block(case_ids))


def _worker_started() -> None:
    # Close this process's own database connections when it ends.
    util.Finalize(None, connections.close_all, exitpriority=10)


def _in_processes(blocks: list[list[int]], jobs: int) -> Iterator[CaseReport]:
    if connection.in_atomic_block:
        raise RuntimeError("verify with several jobs reads committed data only: "
                           "not inside a transaction")
    connections.close_all()  # each process opens its own
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_started)
    try:
        for reports in pool.imap(_in_a_process, blocks):
            yield from reports
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


def case_ids() -> list[int]:
    """Every case, ascending; cases known only to the ledger (their row deleted) too."""
    found = set(Case.objects.values_list("pk", flat=True))
    found |= set(LedgerEntry.objects.order_by().values_list("case_id", flat=True).distinct())
    return sorted(found)


def verify_all(jobs: int = 1, block: int = BLOCK,
               ids: Sequence[int] | None = None) -> Iterator[CaseReport]:
    """Every case's report (or those of `ids`, ascending), in ascending case id order;
    `jobs` processes over disjoint blocks of `block` cases."""
    chosen = case_ids() if ids is None else list(ids)
    blocks = [chosen[start:start + block] for start in range(0, len(chosen), block)]
    if jobs > 1 and len(blocks) > 1:
        yield from _in_processes(blocks, jobs)
        return
    for case_block in blocks:
        yield from verify_block(case_block)
