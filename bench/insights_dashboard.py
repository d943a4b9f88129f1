"""Accountability dashboard at national scale, on PostgreSQL.

    .venv/bin/python bench/insights_dashboard.py [--cases 1000000] [--runs 15]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench] [--reuse]

Builds the running sums a national deployment would hold: the cases of the synthetic
national dataset (bench/dataset.py: ten years, 100 organisations, every region) go through
the real law (engine.derive with the kz profile) and the real metrics (metrics.case_facts);
their sums are loaded with COPY into insights_metriccount. Then it
times the monitor's dashboard (every metric's cube, suppression and its audit, the page
rendered) through the view itself, p50/p95 over --runs, cold (the shared cache emptied
first) and cached (what monitors get within QORGAU_INSIGHTS_CACHE_SECONDS). The baseline,
measured in the same run, is the database part alone: the rows every cube reads. It prints
the plan of that query. The database given is dropped and re-created unless --reuse.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402


def generate(cases: int, seed: int) -> Counter[tuple[int, str, str, str, str]]:
    """(organisation index, region, metric, key, period) -> count: the cases of the
    synthetic national dataset (bench/dataset.py) through the real law and metrics."""
    from qorgau.cases import taxonomy
    from qorgau.duties import engine, profiles
    from qorgau.insights import metrics

    profile = profiles.load("kz", ROOT / "profiles")
    measures = {r.id: r.measures for r in profile.rules}
    rng = random.Random(seed)
    sums: Counter[tuple[int, str, str, str, str]] = Counter()
    today = date(2026, 11, 25)

    def day(fact: engine.Fact) -> date:
        return fact.earliest or fact.sort_key[0]

    for shape in dataset.shapes(cases, seed):
        facts = dataset.engine_facts(shape)
        by_number = {f.number: f for f in facts}
        obligations = engine.derive(profile, facts, today)
        events = [metrics.EventFact(f.number, f.kind, day(f), taxonomy.gbvims_type(f.kind),
                                    f.kind in taxonomy.RESTRICTED) for f in facts]
        obs = []
        for o in obligations:
            done = by_number.get(o.satisfied_by) if o.satisfied_by else None
            obs.append(metrics.ObligationFact(
                o.rule.id, o.rule.duty_bearer, measures.get(o.rule.id), o.status, o.late,
                day(by_number[o.trigger]), o.due_latest, day(done) if done else None))
        assessments = ([metrics.AssessmentFact(rng.choice(["standard", "medium", "high"]),
                                               events[0].day or today)]
                       if rng.random() < 0.6 else [])
        proceedings = ([metrics.ProceedingFact(True, (events[-1].day or today))]
                       if rng.random() < 0.01 else [])
        case_facts = metrics.case_facts(metrics.CaseInput(events, obs, assessments,
                                                          proceedings), today)
        for (metric, key, period), count in case_facts.items():
            sums[(shape.organisation, shape.region, metric, key, period)] += count
    return sums


def load(sums: Counter[tuple[int, str, str, str, str]]) -> list[int]:
    from django.db import connection

    from qorgau.accounts.models import Organisation

    orgs = [Organisation.objects.create(name=f"Bench centre {i}", slug=f"bench-{i}",
                                        shares_aggregates=True) for i in range(100)]
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor() as cur, cur.copy(
                "COPY insights_metriccount (organisation_id, region, profile, metric, key, "
                "period, count) FROM STDIN") as copy:
            for (org, region, metric, key, period), count in sums.items():
                copy.write_row((orgs[org].pk, region, "kz", metric, key, period, count))
        cursor.execute("ANALYZE insights_metriccount")
    return [o.pk for o in orgs]


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args()
    dataset.open_database(args)
    from django.db import connection
    from django.test import RequestFactory

    from qorgau.accounts.models import Organisation
    from qorgau.accounts.services import add_member, create_user
    from qorgau.insights import metrics, publication, views
    from qorgau.insights.models import MetricCount

    if not args.reuse:
        started = time.perf_counter()
        sums = generate(args.cases, args.seed)
        made = time.perf_counter() - started
        started = time.perf_counter()
        org_ids = load(sums)
        print(f"{args.cases:,} cases -> {len(sums):,} running sums "
              f"(generated through the law in {made:.0f} s, loaded in "
              f"{time.perf_counter() - started:.1f} s)")
        monitor = create_user("bench-monitor@bench.test", None)
        add_member(monitor, Organisation.objects.get(pk=org_ids[0]), "monitor")
    else:
        from qorgau.accounts.models import User
        monitor = User.objects.get(email="bench-monitor@bench.test")
        org_ids = list(Organisation.objects.filter(shares_aggregates=True)
                       .values_list("pk", flat=True))
    rows = MetricCount.objects.count()
    print(f"insights_metriccount: {rows:,} rows")

    factory = RequestFactory()
    scope = publication.Scope(tuple(sorted(org_ids)), suppressed=True)

    def baseline() -> None:
        for metric in metrics.METRICS:
            list(MetricCount.objects.filter(
                organisation_id__in=scope.organisation_ids, metric=metric, profile="kz",
                period__gte=f"{args.year}-Q1", period__lte=f"{args.year}-Q4")
                .values_list("region", "period", "key", "count"))

    def dashboard() -> None:
        request = factory.get("/insights/", {"year": str(args.year)})
        request.user = monitor
        request.session = {}  # type: ignore[assignment]
        response = views.dashboard(request)  # type: ignore[arg-type]
        assert response.status_code == 200

    slowest: dict[str, float] = {}
    for metric in metrics.METRICS:
        started = time.perf_counter()
        publication.cube(scope, metric, "kz", args.year)
        slowest[metric] = time.perf_counter() - started
    from django.core.cache import cache

    def cold() -> None:
        cache.clear()
        dashboard()

    timings: dict[str, list[float]] = {"baseline (rows read)": [], "dashboard, cold": [],
                                       "dashboard, cached": []}
    for _ in range(args.runs):
        for name, work in (("baseline (rows read)", baseline), ("dashboard, cold", cold),
                           ("dashboard, cached", dashboard)):
            started = time.perf_counter()
            work()
            timings[name].append(time.perf_counter() - started)
    for name, values in timings.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
        print(f"{name:22} p50 {statistics.median(values) * 1000:7.1f} ms   "
              f"p95 {p95 * 1000:7.1f} ms")
    base = statistics.median(timings["baseline (rows read)"])
    for name in ("dashboard, cold", "dashboard, cached"):
        print(f"{name} / baseline: {statistics.median(timings[name]) / base:.1f}x")
    worst = max(slowest, key=lambda m: slowest[m])
    print(f"slowest cube: {worst} ({slowest[worst] * 1000:.0f} ms, first build)")
    with connection.cursor() as cursor:
        sql, params = (MetricCount.objects.filter(
            organisation_id__in=scope.organisation_ids, metric=worst, profile="kz",
            period__gte=f"{args.year}-Q1", period__lte=f"{args.year}-Q4")
            .values_list("region", "period", "key")
            .query.sql_with_params())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("plan of its query:")
        for (line,) in cursor.fetchall():
            print("   ", line)


if __name__ == "__main__":
    main()
