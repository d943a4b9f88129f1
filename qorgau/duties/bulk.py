"""Recompute the obligations of many cases at once (after a profile change).

The same result as `services.recompute` case by case, a block of cases at a time: a few
queries of raw values per block (the cases under lock, their events, links, stored
obligations), the pure engine, and only what changed written back: the obligation rows that
differ (COPY on PostgreSQL, one executemany on SQLite) and, for each case whose duties
changed, the `duties.recompute` ledger entry that `recompute` appends, with the same detail.
A block is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from qorgau.cases import ledger
from qorgau.cases.models import Case, Event, EventLink, LedgerEntry
from qorgau.duties import engine, profiles, services
from qorgau.duties.models import Obligation

BLOCK = 1000  # cases per transaction
# What a stored obligation is, besides its id and when it was computed.
CONTENT = ("organisation_id", "profile", "rule_id", "family", "duty_bearer", "trigger_id",
           "satisfied_by_id", "status", "due_earliest", "due_latest", "late", "confirmed",
           "reason", "grounds")
_SIGNED = tuple(CONTENT.index(name) for name in (
    "rule_id", "trigger_id", "satisfied_by_id", "status", "due_latest", "late"))


@dataclass
class BlockResult:
    cases: int = 0
    events: int = 0
    changed: int = 0  # cases whose duties changed: a ledger entry each
    rewritten: int = 0  # cases with any row rewritten (changed, or e.g. a basis confirmed)
    inserted: int = 0
    deleted: int = 0
    last: int = 0  # the block's last case id (where to resume)


def blocks(after: int = 0, profile: str | None = None, size: int = BLOCK,
           ) -> Iterator[tuple[int, int, int]]:
    """(first id, last id, cases) of each block of cases to recompute, in id order."""
    cases = Case.objects.exclude(status=Case.Status.ERASED).filter(pk__gt=after)
    if profile:
        cases = cases.filter(profile=profile)
    ids = list(cases.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        yield chunk[0], chunk[-1], len(chunk)


def _content(o: engine.Obligation, organisation_id: int, profile: profiles.Profile,
             ids: dict[int, int]) -> tuple[Any, ...]:
    """An engine obligation as the row `services.refresh_case` stores (CONTENT)."""
    return (organisation_id, profile.id, o.rule.id, o.rule.family, o.bearer or o.rule.duty_bearer,
            ids[o.trigger], ids[o.satisfied_by] if o.satisfied_by else None, o.status,
            o.due_earliest, o.due_latest, o.late, o.rule.confirmed, o.reason, o.grounds)


def _by_case(rows: Iterable[Sequence[Any]]) -> dict[int, list[Sequence[Any]]]:
    found: dict[int, list[Sequence[Any]]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    return found


def recompute_block(first: int, last: int, profile: str | None = None,
                    today: date | None = None) -> BlockResult:
    """Recompute the cases with ids first..last (erased ones left out), in one transaction."""
    today = today or timezone.localdate()
    directory = str(services.profiles_dir())
    result = BlockResult(last=last)
    with transaction.atomic():
        cases = Case.objects.filter(pk__gte=first, pk__lte=last).exclude(
            status=Case.Status.ERASED)
        if profile:
            cases = cases.filter(profile=profile)
        if connection.vendor == "postgresql":
            cases = cases.select_for_update()  # the writers' lock, as case_services._lock
        found = list(cases.order_by("pk").values_list("pk", "organisation_id", "profile",
                                                      "region", "mode"))
        if not found:
            return result
        in_range = {"case_id__gte": first, "case_id__lte": last}
        read = _events(first, last)
        events = _by_case(read)
        case_of = {row[1]: row[0] for row in read}  # event id -> case id
        links = _by_case((case_of[source], source, target) for source, target in
                         EventLink.rows_from(list(case_of), "source_id", "target_id"))
        stored = _by_case(Obligation.objects.filter(**in_range).values_list(
            "case_id", "id", *CONTENT))
        inserts: list[tuple[Any, ...]] = []
        deletes: list[int] = []
        changed: list[tuple[int, profiles.Profile, list[list[Any]]]] = []
        for case_id, organisation_id, profile_id, region, mode in found:
            result.cases += 1
            rows = events.get(case_id, [])
            result.events += len(rows)
            case_facts = services.facts_from(
                (row[1:] for row in rows), (row[1:] for row in links.get(case_id, [])))
            law = profiles.cached(profile_id, directory)
            new = {_content(o, organisation_id, law, case_facts.event_ids)
                   for o in engine.derive(law, case_facts.facts, today, services.case_context(
                       region, mode, case_facts.facts))}
            old = {tuple(row[2:]): row[1] for row in stored.get(case_id, [])}
            if new == old.keys():
                continue
            result.rewritten += 1
            deletes.extend(pk for content, pk in old.items() if content not in new)
            inserts.extend((case_id, *content) for content in new if content not in old)
            before = services.signature(tuple(c[i] for i in _SIGNED) for c in old)
            after = services.signature(tuple(c[i] for i in _SIGNED) for c in new)
            if before != after:
                changed.append((case_id, law, after))
        _delete(deletes)
        _insert(inserts)
        _append(changed)
    result.inserted, result.deleted, result.changed = len(inserts), len(deletes), len(changed)
    return result


def _events(first: int, last: int) -> list[tuple[Any, ...]]:
    """(case id, *FACT_COLUMNS) of the cases' events, read raw (the attributes as JSON
    text: `services.facts_from` decodes what is not empty)."""
    columns = ", ".join(["case_id", *services.FACT_COLUMNS])
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns} FROM "{Event._meta.db_table}" '  # noqa: S608  # nosec B608
                       "WHERE case_id >= %s AND case_id <= %s", [first, last])
        return cursor.fetchall()


def _delete(ids: list[int]) -> None:
    table = Obligation._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f'DELETE FROM "{table}" WHERE id IN ({marks})', chunk)  # noqa: S608  # nosec B608


def _write(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows of values ready for the database: COPY on PostgreSQL, one executemany on
    SQLite."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(  # type: ignore[union-attr]
                    f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["?"] * len(columns))
        cursor.connection.executemany(  # type: ignore[union-attr]
            f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)  # noqa: S608  # nosec B608


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """New obligation rows (case id, *CONTENT), computed now."""
    if not rows:
        return
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor != "postgresql":  # dates as the backend stores them
        earliest, latest = 1 + CONTENT.index("due_earliest"), 1 + CONTENT.index("due_latest")
        rows = [(*row[:earliest], ops.adapt_datefield_value(row[earliest]),
                 ops.adapt_datefield_value(row[latest]), *row[latest + 1:]) for row in rows]
    _write(Obligation._meta.db_table, ["case_id", *CONTENT, "computed_at"],
           ((*row, now) for row in rows))


LEDGER_COLUMNS = ("case_id", "seq", "at", "actor_id", "action", "subject", "detail",
                  "payload_digest", "prev_hash", "hash")


def _append(changed: list[tuple[int, profiles.Profile, list[list[Any]]]]) -> None:
    """Each changed case's `duties.recompute` entry, as `services.recompute` appends it
    (by the system, no record), chained on the case's last entry."""
    if not changed:
        return
    newest = LedgerEntry.objects.filter(case_id=OuterRef("case_id")).order_by("-seq")
    heads = dict((case_id, (seq, hash_)) for case_id, seq, hash_ in LedgerEntry.objects.filter(
        case_id__in=[case_id for case_id, _law, _after in changed],
        seq=Subquery(newest.values("seq")[:1])).values_list("case_id", "seq", "hash"))
    adapt = connection.ops.adapt_datetimefield_value
    entries = []
    for case_id, law, after in changed:
        seq, prev = heads.get(case_id, (0, ledger.GENESIS))
        detail = services.recompute_detail(law, after)
        at = timezone.now()
        payload_digest = ledger.payload_digest(detail, None)
        subject = f"case:{case_id}"
        entry_hash = ledger.chain_hash(str(case_id), seq + 1, at.astimezone(UTC).isoformat(),
                                       "system", "duties.recompute", subject, payload_digest,
                                       prev)
        entries.append((case_id, seq + 1, adapt(at), None, "duties.recompute", subject,
                        json.dumps(detail), payload_digest, prev, entry_hash))
    _write(LedgerEntry._meta.db_table, LEDGER_COLUMNS, entries)


def _work(job: tuple[int, int, str | None, date]) -> BlockResult:
    first, last, profile, today = job
    return recompute_block(first, last, profile, today)


def recompute_all(plan: Iterable[tuple[int, int, int]], profile: str | None = None,
                  jobs: int = 1, today: date | None = None) -> Iterator[BlockResult]:
    """The result of every block of `plan` (from `blocks`), in order; `jobs` processes over
    disjoint blocks."""
    today = today or timezone.localdate()
    work = [(first, last, profile, today) for first, last, _n in plan]
    if jobs <= 1:
        yield from map(_work, work)
        return
    import multiprocessing

    connections.close_all()  # each worker opens its own
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(_work, work)


def refresh_statistics() -> None:
    """Fresh planner statistics on the obligations after a recompute changed them: until
    autovacuum gets there, the planner takes the millions of new rows for a few thousand
    (the Needs action queue went from tens of milliseconds to 3 s at 346,000 cases)."""
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Obligation._meta.db_table}"')
