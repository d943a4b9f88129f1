"""The bulk recompute (qorgau.duties.bulk, used by `recompute-obligations`) gives what
`services.recompute` gives case by case: the same obligations, the same ledger entries."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qorgau.cases.models import Case, Event, EventLink, LedgerEntry
from qorgau.cases.verification import verify_all
from qorgau.demo.loader import load_demo
from qorgau.duties import bulk, services
from qorgau.duties.models import Obligation
from qorgau.insights.models import MetricCount

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import dataset  # noqa: E402

TODAY = date(2026, 11, 25)


def _state(since: int) -> dict[str, Any]:
    """What a recompute leaves: every obligation's content, and the ledger entries written
    after entry `since` (all but their time and hash, which hash the time)."""
    return {
        "obligations": sorted(Obligation.objects.values_list("case_id", *bulk.CONTENT)),
        "entries": sorted(LedgerEntry.objects.filter(pk__gt=since).values_list(
            "case_id", "seq", "actor_id", "action", "subject", "detail", "payload_digest",
            "prev_hash")),
        "counts": sorted(MetricCount.objects.values_list(
            "organisation_id", "region", "profile", "metric", "key", "period", "count")),
    }


def _verified() -> None:
    assert [r for r in verify_all() if r.problem is not None] == []


def _per_case(today: date | None = TODAY) -> None:
    for case in Case.objects.exclude(status=Case.Status.ERASED).order_by("pk"):
        services.recompute(case, today=today)


def _bulk(size: int = 7, after: int = 0, profile: str | None = None) -> list[bulk.BlockResult]:
    plan = list(bulk.blocks(after, profile, size))
    return list(bulk.recompute_all(plan, profile, today=TODAY))


def _both(insights: bool = False) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The state after the per-case path, and after the bulk path, from the same start;
    the database is left as the bulk path wrote it. Also: ledger entries the bulk wrote."""
    since = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    point = transaction.savepoint()
    _per_case()
    if insights:
        call_command("refresh-insights", "--all", verbosity=0)
    expected = _state(since)
    transaction.savepoint_rollback(point)
    results = _bulk()
    if insights:
        call_command("refresh-insights", "--all", verbosity=0)
    return expected, _state(since), sum(r.changed for r in results)


@pytest.fixture
def cases(db: None) -> None:
    """The demo cases (written through the services: obligations already derived), and 60
    generated ones (orders, breaches, links, corrections, partial and approximate dates;
    no obligations yet)."""
    load_demo()
    dataset.load(60, seed=5)
    assert Event.objects.filter(supersedes__isnull=False).exists()
    assert Event.objects.filter(kind="order_breached").exists()


def _changed_profile(settings: Any, tmp_path: Path) -> None:
    """A profile change: longer deadlines for one family, and one basis confirmed."""
    copy = tmp_path / "profiles"
    shutil.copytree(settings.QORGAU_PROFILES_DIR, copy)
    kz = copy / "kz.yaml"
    text = kz.read_text("utf-8").replace("deadline: P7D", "deadline: P3650D")
    first_unconfirmed = text.index("confirmed: false")
    text = text[:first_unconfirmed] + "confirmed: true" + text[first_unconfirmed + 16:]
    kz.write_text(text, "utf-8")
    settings.QORGAU_PROFILES_DIR = copy


def test_bulk_gives_what_the_per_case_path_gives(cases, settings, tmp_path):
    # First run: the generated cases' obligations are all new, the demo's unchanged.
    expected, got, changed = _both()
    assert got == expected
    assert changed == 60
    assert len(got["entries"]) == 60 and len(got["obligations"]) > 300
    _verified()

    # A profile change: some cases' duties change (on the ledger), some rows only change
    # what the ledger does not digest (a basis confirmed); the counts follow.
    _changed_profile(settings, tmp_path)
    expected, got, changed = _both(insights=True)
    assert got == expected
    assert 0 < changed < Case.objects.count()
    _verified()

    # Nothing changed: nothing written.
    before = _state(0)
    results = _bulk()
    assert _state(0) == before
    assert sum(r.changed + r.rewritten + r.inserted + r.deleted for r in results) == 0
    assert sum(r.cases for r in results) == Case.objects.count()
    assert sum(r.events for r in results) == Event.objects.count()


def test_links_are_read_by_their_source_events(cases, monkeypatch):
    """Joined from the events by case, PostgreSQL scanned every link of a million-case
    database for each block; recompute and verify read them by source id, in batches."""
    monkeypatch.setattr(EventLink, "BATCH", 7)  # several batches a block
    expected, got, _changed = _both()
    assert got == expected
    with CaptureQueriesContext(connection) as captured:
        _verified()
        Obligation.objects.all().delete()
        _bulk()
    reads = [q["sql"] for q in captured if "FROM \"cases_eventlink\"" in q["sql"]]
    assert len(reads) >= 2 * (Event.objects.count() // 7)  # batches of 7, both readers
    assert not [sql for sql in reads if "JOIN" in sql]
    assert _state(0)["obligations"] == got["obligations"]


def test_bulk_repairs_rows_that_drifted(cases):
    _bulk()
    # Rows deleted, rows altered, a row for a rule that no longer exists.
    some = list(Obligation.objects.order_by("pk").values_list("pk", flat=True))
    Obligation.objects.filter(pk__in=some[::5]).delete()
    Obligation.objects.filter(pk__in=some[1::7]).update(status="met", late=True)
    Obligation.objects.filter(pk__in=some[2::11]).update(reason="pending", due_earliest=None)
    stray = Obligation.objects.order_by("pk").last()
    assert stray is not None
    Obligation.objects.filter(pk=stray.pk).update(rule_id="kz.gone")
    expected, got, changed = _both()
    assert got == expected and changed > 0
    _verified()


def test_after_and_profile_limit_the_cases(cases):
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    middle = ids[len(ids) // 2]
    results = _bulk(after=middle)
    assert sum(r.cases for r in results) == len([i for i in ids if i > middle])
    assert not Obligation.objects.filter(case_id__lte=middle, case__reference__in=[
        dataset.reference(5, i) for i in range(60)]).exists()
    # Some cases under another profile (written around the services: this test does not
    # verify the ledger).
    Case.objects.filter(pk__in=ids[-9::2]).update(profile="gb-eng")
    results = _bulk(profile="gb-eng")
    assert sum(r.cases for r in results) == 5
    assert set(Obligation.objects.filter(case_id__in=ids[-9::2]).values_list(
        "profile", flat=True)) == {"gb-eng"}


class _RolledBack(Exception):
    pass


def test_jobs_give_the_same_result(committed_db):
    dataset.load(40, seed=8)
    try:
        with transaction.atomic():
            _per_case(today=None)  # today, as the command
            expected = _state(0)
            raise _RolledBack
    except _RolledBack:
        pass
    assert not Obligation.objects.exists()
    call_command("recompute-obligations", "--jobs", "2", "--block", "6", verbosity=0)
    assert _state(0) == expected
    _verified()
    # One process over the same cases: nothing left to change.
    call_command("recompute-obligations", verbosity=0)
    assert _state(0) == expected


def _planner_rows(table: str) -> int | None:
    """What the planner's statistics say the table holds (None: never analysed)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            (rows,) = cursor.fetchone()
            return None if rows < 0 else int(rows)
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        # one row per index; a partial index counts only its rows, a full one the table's
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        found = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
        return max(found) if found else None


def test_a_recompute_leaves_the_planner_knowing_the_new_rows(committed_db):
    """After millions of rows, a stale planner takes them for none: the queues crawl."""
    dataset.load(20, seed=8)
    table = Obligation._meta.db_table
    call_command("recompute-obligations", verbosity=0)
    assert Obligation.objects.count() > 20
    assert _planner_rows(table) == Obligation.objects.count()


def test_bad_numbers_are_refused(db):
    with pytest.raises(CommandError, match="positive number"):
        call_command("recompute-obligations", "--jobs", "0")
