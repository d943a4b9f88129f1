"""Keep the counts in step with the cases. A timeline write queues the case's recount
(`refresh_case_counts`, in the write's transaction, so it is never lost) and the
background worker does it: a write's cost does not carry the recount, which reads the
whole case (issue 33). Proceedings and erasure recount in their own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.db.models.signals import post_save
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from qorgau.cases import erasure, policy, signals, taxonomy
from qorgau.cases.models import Case, Event
from qorgau.duties.models import Obligation
from qorgau.duties.services import profile_for
from qorgau.insights import metrics
from qorgau.insights.models import CaseFact, MetricCount
from qorgau.proceedings.models import Proceeding
from qorgau.risk.models import Assessment

PROCEEDING_START = ("arrest", "detention_ordered", "indictment")
# The columns of a running sum's cell (its unique constraint, one_count_per_cell).
CELL = ("organisation_id", "region", "profile", "metric", "key", "period")


def _day(value: Any) -> date | None:
    if value is None:
        return None
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def case_input(case: Case) -> metrics.CaseInput:
    """Everything the metrics need of one case, in five queries."""
    events = [
        metrics.EventFact(pk, kind, _day(start), taxonomy.gbvims_type(kind),
                          policy.is_restricted(kind),
                          attributes if kind == "death" else {})
        for pk, kind, start, attributes in Event.objects.filter(case=case).current()
        .values_list("pk", "kind", "sort_start", "attributes")
    ]
    try:
        profile = profile_for(case)
        measures = {rule.id: rule.measures for rule in profile.rules}
    except Exception:  # a profile that no longer loads measures nothing  # noqa: BLE001
        measures = {}
    obligations = [
        metrics.ObligationFact(rule_id, bearer, measures.get(rule_id), status, late,
                               _day(trigger_day), due_latest, _day(satisfied_day))
        for rule_id, bearer, status, late, trigger_day, due_latest, satisfied_day in
        Obligation.objects.filter(case=case).values_list(
            "rule_id", "duty_bearer", "status", "late", "trigger__sort_start", "due_latest",
            "satisfied_by__sort_start")
    ]
    assessments = [metrics.AssessmentFact(level, created.date())
                   for level, created in Assessment.objects.filter(case=case)
                   .values_list("level", "created_at")]
    # A proceeding starts at its first linked event, else the case's first arrest,
    # detention or indictment, else when it was recorded.
    opened = min((e.day for e in events if e.kind in PROCEEDING_START and e.day), default=None)
    proceedings = [
        metrics.ProceedingFact(kind == Proceeding.Kind.AGAINST_SURVIVOR,
                               _day(first) or opened or created.date())
        for kind, first, created in Proceeding.objects.filter(case=case)
        .annotate(first=Min("events__sort_start")).values_list("kind", "first", "created_at")
    ]
    return metrics.CaseInput(events, obligations, assessments, proceedings)


@transaction.atomic
def refresh_case(case: Case, today: date | None = None) -> int:
    """Recompute the case's facts and move the running sums by the difference.
    Returns the number of cells that changed."""
    today = today or timezone.localdate()
    new = metrics.case_facts(case_input(case), today)
    if case.status == "erased":
        new.clear()
    stored = CaseFact.objects.filter(case=case)
    old = {(f.metric, f.key, f.period): f.count for f in stored}
    delta = metrics.diff(old.items(), new.items())
    if not delta:
        return 0
    _apply(case, delta)
    stored.delete()
    CaseFact.objects.bulk_create(
        CaseFact(case=case, metric=m, key=k, period=p, count=c) for (m, k, p), c in new.items())
    return len(delta)


def _apply(case: Case, delta: dict[tuple[str, str, str], int]) -> None:
    """Move the running sums by `delta`: one upsert per cell, sent as one batch (each adds
    to the stored count, so writers of other cases of the same cells add up), then the
    cells that fell to zero are removed."""
    quote = connection.ops.quote_name
    table, count = quote(MetricCount._meta.db_table), quote("count")
    cell = ", ".join(quote(name) for name in CELL)
    rows = [(case.organisation_id, case.region, case.profile, metric, key, period, change)
            for (metric, key, period), change in sorted(delta.items())]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({cell}, {count}) VALUES ({', '.join(['%s'] * 7)}) "  # noqa: S608  # nosec B608
            f"ON CONFLICT ({cell}) DO UPDATE SET {count} = {table}.{count} + excluded.{count}",
            rows)
        fallen = [row[:6] for row in rows if row[6] < 0]
        if fallen:
            where = " AND ".join(f"{quote(name)} = %s" for name in CELL)
            cursor.executemany(
                f"DELETE FROM {table} WHERE {where} AND {count} = 0", fallen)  # noqa: S608  # nosec B608


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): the case's facts, and its part of the running sums
    (the counts say what the organisation holds)."""
    stored = CaseFact.objects.filter(case=case)
    delta = metrics.diff({(f.metric, f.key, f.period): f.count for f in stored}.items(), [])
    if delta:
        _apply(case, delta)
    return erasure.delete(stored)


def refresh_cases(cases: Iterable[Case], today: date | None = None) -> tuple[int, int]:
    """(cases looked at, cases whose counts changed)."""
    seen = changed = 0
    for case in cases:
        seen += 1
        changed += bool(refresh_case(case, today))
    return seen, changed


def stale_cases(today: date | None = None) -> Iterable[Case]:
    """Cases whose counts the calendar changed: an obligation fell due unanswered."""
    today = today or timezone.localdate()
    ids = (Obligation.objects.filter(status="pending", due_latest__lt=today)
           .values_list("case_id", flat=True).distinct())
    return Case.objects.filter(pk__in=ids).exclude(status="erased").iterator()


@task()
def refresh_case_counts(case_id: int) -> None:
    """The background worker's recount of one case (queued by each timeline write),
    under the case's writers' lock: two recounts of one case never add the same change
    twice."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            found = Case.objects.select_for_update().filter(pk=case_id).first()
        else:  # SQLite's IMMEDIATE transactions serialise writers already
            found = Case.objects.filter(pk=case_id).first()
        if found is not None:
            refresh_case(found)


def _recount_waiting(case_id: int) -> bool:
    """A recount of the case is queued and no worker has taken it yet: it will count this
    write too (it takes the case's lock, which the write holds until it commits), so a
    burst of writes is recounted once."""
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=refresh_case_counts.module_path,
        args_kwargs={"args": [case_id], "kwargs": {}}).exists()


def _on_events_changed(sender: Any, case: Case, **kwargs: Any) -> None:
    if not _recount_waiting(case.pk):
        refresh_case_counts.enqueue(case.pk)


def _on_proceeding_saved(sender: Any, instance: Proceeding, raw: bool = False,
                         **kwargs: Any) -> None:
    if not raw:
        refresh_case(instance.case)


def connect() -> None:
    # After the duties app's receiver (connected first: INSTALLED_APPS order), so the
    # obligations it rewrites are already there.
    signals.events_changed.connect(_on_events_changed, dispatch_uid="insights.refresh")
    post_save.connect(_on_proceeding_saved, sender=Proceeding,
                      dispatch_uid="insights.proceeding")
