"""The synthetic national dataset (bench/dataset.py): valid ledger, reproducible, shaped as
documented."""

from __future__ import annotations

import random
import statistics
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import dataset  # noqa: E402

from qorgau.cases.models import Case, Event, LedgerEntry  # noqa: E402
from qorgau.duties.models import Obligation  # noqa: E402
from qorgau.insights.models import CaseFact, MetricCount  # noqa: E402


def _heads_in_db() -> list[str | None]:
    heads = []
    for case_id in Case.objects.filter(reference__in=[
            dataset.reference(5, i) for i in range(50)]).order_by("pk").values_list("pk",
                                                                                   flat=True):
        heads.append(LedgerEntry.objects.filter(case_id=case_id).order_by("-seq")
                     .values_list("hash", flat=True).first())
    return heads


def test_generated_cases_verify_and_drive_the_derived_tables(db, capsys):
    fingerprint, events = dataset.load(50, seed=5)
    assert Case.objects.count() == 50
    assert Event.objects.count() == events > 50 * 5
    # What was written is what was generated: the same ledger heads, in order.
    assert dataset.digest(h or "" for h in _heads_in_db()) == fingerprint
    call_command("verify")
    assert "OK: 50 cases" in capsys.readouterr().out

    dataset.refresh_derived()
    assert Obligation.objects.filter(status="breached").exists()
    assert Obligation.objects.filter(status="met").exists()
    assert CaseFact.objects.exists() and MetricCount.objects.exists()
    call_command("verify")  # the recomputations are on the ledger too
    assert "OK: 50 cases" in capsys.readouterr().out


def test_a_dataset_grows_by_its_missing_cases(db, capsys):
    """Cases 0..19 and then 20..49 are the 50-case dataset: the same ledger heads."""
    whole = dataset.digest(
        head for _t, heads, _n in dataset.rows(50, 5, dataset.Ids(), dataset.prepare())
        for head in heads)
    dataset.load(20, seed=5)
    assert dataset.cases_present() == 20
    dataset.load(50, seed=5, first_case=dataset.cases_present())
    assert dataset.digest(h or "" for h in _heads_in_db()) == whole
    call_command("verify")
    assert "OK: 50 cases" in capsys.readouterr().out


def _schema() -> set[tuple[str, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        tables = dataset._bulk_tables()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE conrelid::regclass::text = ANY(%s)", [tables])
        constraints = {("constraint", *row) for row in cursor.fetchall()}
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                       [tables])
        return constraints | {("index", *row) for row in cursor.fetchall()}


def test_a_bare_load_leaves_the_schema_it_found(db, capsys):
    from django.db import IntegrityError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("bare tables are a PostgreSQL load")
    before = _schema()
    assert any(kind == "constraint" and "FOREIGN KEY" in d for kind, _n, d in before)
    dataset.bare_tables()
    bare = _schema()
    # Only the primary keys and checks are left, and the keys' indexes.
    keys = {name for kind, name, d in bare if d.startswith("PRIMARY KEY")}
    assert all(d.startswith(("PRIMARY KEY", "CHECK"))
               for kind, _n, d in bare if kind == "constraint")
    assert {name for kind, name, _d in bare if kind == "index"} == keys
    dataset.load(30, seed=5, bare=True)
    assert _schema() == before
    call_command("verify")
    assert "OK: 30 cases" in capsys.readouterr().out
    # The constraints are live again: a second entry with a taken seq is refused.
    entry = LedgerEntry.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(case_id=entry.case_id, seq=entry.seq, at=entry.at,
                                   subject="x", action="x", payload_digest="0" * 64,
                                   prev_hash="0" * 64, hash="1" * 64)


def test_same_seed_same_dataset(db):
    ctx = dataset.prepare()

    def fingerprint(seed: int) -> str:
        heads = []
        for _tables, chunk_heads, _n in dataset.rows(30, seed, dataset.Ids(), ctx):
            heads.extend(chunk_heads)
        return dataset.digest(heads)

    assert fingerprint(3) == fingerprint(3)
    assert fingerprint(3) != fingerprint(4)


def test_events_per_case_have_the_documented_long_tail():
    rng = random.Random(1)
    sizes = [dataset.events_per_case(rng) for _ in range(200_000)]
    assert 10 <= statistics.median(sizes) <= 16
    assert 17 <= statistics.mean(sizes) <= 23  # 1M cases: about 20M events
    assert sum(5 <= n <= 30 for n in sizes) / len(sizes) > 0.85
    assert 0.007 < sum(100 <= n < 1000 for n in sizes) / len(sizes) < 0.013
    assert 5 <= sum(n >= 1000 for n in sizes) <= 40


def test_cases_are_spread_and_shaped_like_the_documented_stories():
    cases = list(dataset.shapes(3000, seed=9))
    assert len({c.region for c in cases}) == len(dataset.REGIONS)
    assert len({c.organisation for c in cases}) == dataset.ORGANISATIONS
    assert len({c.reference for c in cases}) == len(cases)
    days = [e.day for c in cases for e in c.events]
    assert min(days) >= dataset.FIRST_DAY and max(days) <= dataset.LAST_DAY
    assert len({d.year for d in days}) == 11  # 2016-2026
    kinds = Counter(e.kind for c in cases for e in c.events)
    total = sum(kinds.values())
    abuse = sum(kinds[k] for k in dataset.ABUSE)
    assert 0.3 < abuse / total < 0.6
    # Police answers to reports: some on time, some late, some never.
    answers: Counter[str] = Counter()
    for c in cases:
        by_number = {e.number: e for e in c.events}
        answered = {t: e for e in c.events for t, k in e.links if k == "responds_to"}
        for e in c.events:
            if e.kind != "police_report":
                continue
            answer = answered.get(e.number)
            if answer is None:
                answers["missing"] += 1
            elif (answer.day - by_number[e.number].day).days <= 1:
                answers["on time"] += 1
            else:
                answers["late"] += 1
    reports = sum(answers.values())
    assert all(0.1 < answers[a] / reports < 0.7 for a in ("missing", "on time", "late"))
    assert kinds["order_issued"] and kinds["order_breached"] and kinds["breach_response"]
    assert kinds["self_harm"]  # restricted events exist too
    corrected = sum(1 for c in cases for e in c.events if e.supersedes)
    assert 0.005 < corrected / total < 0.02
    assert 0.1 < sum(c.closed for c in cases) / len(cases) < 0.7


@pytest.mark.parametrize("length", [10, 120])
def test_a_case_of_a_given_length(db, length):
    (shape,) = dataset.shapes(1, seed=2, length=length)
    assert len(shape.events) == length
    dataset.load_shapes([shape])
    assert Case.objects.get(reference=shape.reference).events.count() == length
    call_command("verify")
