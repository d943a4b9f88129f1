"""The counts of many new cases at once, for a batch of imported case files
(qorgau.cases.bulk_import): what each case's recount (`services.refresh_case`, queued by
`events_changed`) would add, from the events the batch holds and the rows derived from them
read for the whole block in three queries; the running sums moved once per cell and the
cases' facts written in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from qorgau.accounts.models import User
from qorgau.cases import bulk_import, policy, signals, taxonomy
from qorgau.duties.models import Obligation
from qorgau.duties.services import profile_for
from qorgau.insights import metrics, services
from qorgau.insights.models import CaseFact, MetricCount
from qorgau.proceedings.models import Proceeding
from qorgau.risk.models import Assessment


def _by_case(rows: Any) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[1:])
    return found


def count_new_cases(cases: Sequence[bulk_import.NewCase], by: User,
                    chain: bulk_import.Chain) -> None:
    """As `services.refresh_case` for each case (whose counts are nothing yet)."""
    today = timezone.localdate()
    ids = [new.case.pk for new in cases]
    corrected = {e.supersedes_id for new in cases for e in new.events if e.supersedes_id}
    events = {new.case.pk: [(e.pk, e.kind, e.sort_start, e.attributes) for e in new.events
                            if e.pk not in corrected]  # as Event.objects.current()
              for new in cases}
    obligations = _by_case(Obligation.objects.filter(case_id__in=ids).values_list(
        "case_id", "rule_id", "duty_bearer", "status", "late", "trigger__sort_start",
        "due_latest", "satisfied_by__sort_start"))
    assessments = _by_case(Assessment.objects.filter(case_id__in=ids).values_list(
        "case_id", "level", "created_at"))
    proceedings = _by_case(Proceeding.objects.filter(case_id__in=ids)
                           .annotate(first=Min("events__sort_start"))
                           .values_list("case_id", "kind", "first", "created_at"))
    measures: dict[str, dict[str, Any]] = {}
    sums: dict[tuple[Any, ...], int] = {}
    facts: list[tuple[Any, ...]] = []
    for new in cases:
        case = new.case
        if case.profile not in measures:
            try:
                measures[case.profile] = {rule.id: rule.measures
                                          for rule in profile_for(case).rules}
            except Exception:  # as services.case_input  # noqa: BLE001
                measures[case.profile] = {}
        found = [metrics.EventFact(pk, kind, services._day(start), taxonomy.gbvims_type(kind),
                                   policy.is_restricted(kind),
                                   attributes if kind == "death" else {})
                 for pk, kind, start, attributes in events.get(case.pk, [])]
        opened = min((e.day for e in found if e.kind in services.PROCEEDING_START and e.day),
                     default=None)
        counted = metrics.case_facts(metrics.CaseInput(
            found,
            [metrics.ObligationFact(rule_id, bearer, measures[case.profile].get(rule_id),
                                    status, late, services._day(trigger_day), due_latest,
                                    services._day(satisfied_day))
             for rule_id, bearer, status, late, trigger_day, due_latest, satisfied_day
             in obligations.get(case.pk, [])],
            [metrics.AssessmentFact(level, created.date())
             for level, created in assessments.get(case.pk, [])],
            [metrics.ProceedingFact(kind == Proceeding.Kind.AGAINST_SURVIVOR,
                                    services._day(first) or opened or created.date())
             for kind, first, created in proceedings.get(case.pk, [])]), today)
        for (metric, key, period), change in metrics.diff([], counted.items()).items():
            cell = (case.organisation_id, case.region, case.profile, metric, key, period)
            sums[cell] = sums.get(cell, 0) + change
        facts += [(case.pk, m, k, p, c) for (m, k, p), c in counted.items()]
    _add(sums)
    bulk_import.insert_rows(CaseFact, ("case_id", "metric", "key", "period", "count"), facts)


def _add(sums: dict[tuple[Any, ...], int]) -> None:
    """Move the running sums by `sums` (as `services._apply`: each adds to the stored count),
    a cell once however many of the cases count in it."""
    quote = connection.ops.quote_name
    table, count = quote(MetricCount._meta.db_table), quote("count")
    cell = ", ".join(quote(name) for name in services.CELL)
    rows = [(*key, change) for key, change in sorted(sums.items()) if change]
    if not rows:
        return
    upsert = (f"ON CONFLICT ({cell}) DO UPDATE SET {count} = {table}.{count} + "  # nosec B608 -- names quoted, values bound
              f"excluded.{count}")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one statement, a column per array
            cursor.execute(
                f"INSERT INTO {table} ({cell}, {count}) SELECT * FROM unnest(%s::bigint[], "  # noqa: S608  # nosec B608
                f"%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::int[]) "
                f"{upsert}", [list(column) for column in zip(*rows, strict=True)])
            return
        cursor.executemany(
            f"INSERT INTO {table} ({cell}, {count}) VALUES ({', '.join(['%s'] * 7)}) "  # noqa: S608  # nosec B608
            f"{upsert}", rows)

bulk_import.register(signals.events_changed, services._on_events_changed, count_new_cases)
