"""Recomputing every case's obligations (`recompute-obligations`): events per second.

    .venv/bin/python bench/obligations_recompute.py --cases 10000 [--jobs 1] [--block 1000]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--reuse] [--per-case 300] [--profile] [--baseline-blocks 50] [--once]

Builds the synthetic national dataset (bench/dataset.py, without derived tables) unless
--reuse, then times the command over every case twice: the first run with no obligations
stored (every case's duties new: rows written, a ledger entry for each case that has any),
the second with nothing changed (read, derive, compare). Baselines in the same run, over
the same blocks of cases: reading the events rows raw (one query a block, fetchall), and
the pure engine on the same facts (`engine.derive` alone). --per-case N also times the
case-by-case path (`services.recompute`, as the command did before) on the first N cases;
--profile prints where the time of each run goes (cProfile, over the first 2,000 cases).
At 1M cases, --baseline-blocks N measures the baselines over the first N blocks (their
events per CPU second are the ratios' base) and --once skips the second run.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402


def _clock() -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished children): the machine
    is shared, so CPU time says what the work costs when wall time says how busy it was.
    (The PostgreSQL server's CPU is in neither.)"""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                        resource.RUSAGE_CHILDREN))
    return time.perf_counter(), (own.ru_utime + own.ru_stime + children.ru_utime
                                 + children.ru_stime)


def _since(start: tuple[float, float]) -> tuple[float, float]:
    now = _clock()
    return now[0] - start[0], now[1] - start[1]


def _forget_obligations() -> None:
    """Back to before any recompute (obligations are derived data; the ledger keeps the
    earlier runs' entries, which are reads and never in the way)."""
    from django.db import connection

    from qorgau.duties.models import Obligation

    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{Obligation._meta.db_table}"')  # noqa: S608  # nosec B608
        if connection.vendor == "postgresql":
            cursor.execute(f'VACUUM ANALYZE "{Obligation._meta.db_table}"')


def _timed_command(args: Any) -> tuple[tuple[float, float], str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = _clock()
    call_command("recompute-obligations", "--jobs", str(args.jobs), "--block",
                 str(args.block), "--every", str(10 ** 9), stdout=out)
    return _since(started), out.getvalue().strip().splitlines()[-1]


def _baselines(plan: list[tuple[int, int, int]]) -> tuple[list[float], list[float]]:
    """([wall, CPU] seconds reading the events rows raw, the same in engine.derive) over
    every block."""
    from django.db import connection
    from django.utils import timezone

    from qorgau.cases.models import Case, Event, EventLink
    from qorgau.duties import engine, profiles, services

    table = Event._meta.db_table
    columns = ", ".join(["case_id", *services.FACT_COLUMNS])
    today = timezone.localdate()
    directory = str(services.profiles_dir())
    reading, deriving = [0.0, 0.0], [0.0, 0.0]

    def add(total: list[float], started: tuple[float, float]) -> None:
        spent = _since(started)
        total[0] += spent[0]
        total[1] += spent[1]

    for first, last, _n in plan:
        started = _clock()
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT {columns} FROM "{table}" '  # noqa: S608  # nosec B608
                           "WHERE case_id >= %s AND case_id <= %s", [first, last])
            cursor.fetchall()
        add(reading, started)
        # The same facts as the command builds (not timed), then the engine alone.
        events: dict[int, list[Any]] = {}
        for row in Event.objects.filter(case_id__gte=first, case_id__lte=last).values_list(
                "case_id", *services.FACT_COLUMNS):
            events.setdefault(row[0], []).append(row[1:])
        links: dict[int, list[Any]] = {}
        for row in EventLink.objects.filter(
                source__case_id__gte=first, source__case_id__lte=last).values_list(
                "source__case_id", "source_id", "target_id"):
            links.setdefault(row[0], []).append(row[1:])
        work = []
        for case_id, profile_id in Case.objects.filter(
                pk__gte=first, pk__lte=last).exclude(status="erased").values_list(
                "pk", "profile"):
            case_facts = services.facts_from(events.get(case_id, []), links.get(case_id, []))
            work.append((profiles.cached(profile_id, directory), case_facts.facts))
        started = _clock()
        for law, facts in work:
            engine.derive(law, facts, today)
        add(deriving, started)
    return reading, deriving


def _per_case(cases: int) -> tuple[float, float, int]:
    """(seconds all new, seconds nothing changed, events) of services.recompute over the
    first `cases` cases."""
    from django.db import transaction

    from qorgau.cases.models import Case, Event
    from qorgau.duties import services
    from qorgau.duties.models import Obligation

    sample = list(Case.objects.exclude(status="erased").select_related("organisation")
                  .order_by("pk")[:cases])
    events = Event.objects.filter(case__in=sample).count()
    timings = []
    with transaction.atomic():
        Obligation.objects.filter(case__in=sample).delete()
        for _run in range(2):
            started = time.perf_counter()
            for case in sample:
                services.recompute(case)
            timings.append(time.perf_counter() - started)
        transaction.set_rollback(True)  # leave the dataset as the command left it
    return timings[0], timings[1], events


def _profiled(plan: list[tuple[int, int, int]], title: str) -> None:
    from qorgau.duties import bulk

    profiler = cProfile.Profile()
    profiler.enable()
    for _result in bulk.recompute_all(plan):
        pass
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    print(f"\n--- profile: {title} (cProfile, cumulative) ---")
    print("\n".join(line for line in out.getvalue().splitlines()[:75] if line.strip()))


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--jobs", type=int, default=1, help="processes of the command")
    parser.add_argument("--block", type=int, default=1000, help="cases per transaction")
    parser.add_argument("--per-case", type=int, default=0, metavar="N",
                        help="also time services.recompute on the first N cases")
    parser.add_argument("--profile", action="store_true", help="cProfile each run")
    parser.add_argument("--baseline-blocks", type=int, default=0, metavar="N",
                        help="baselines over the first N blocks only (default: every block)")
    parser.add_argument("--once", action="store_true",
                        help="only the first run (every duty new), not the second")
    args = parser.parse_args()
    dataset.open_database(args)

    from django.db import connection

    from qorgau.cases.models import Case, Event
    from qorgau.duties import bulk
    from qorgau.duties.models import Obligation

    if not args.reuse:
        started = time.perf_counter()
        _digest, events = dataset.load(args.cases, args.seed, jobs=2)
        print(f"dataset: {args.cases:,} cases, {events:,} events built in "
              f"{time.perf_counter() - started:.0f} s")
    cases = Case.objects.exclude(status="erased").count()
    events = Event.objects.filter(case__in=Case.objects.exclude(status="erased")).count()
    plan = list(bulk.blocks(size=args.block))
    print(f"{connection.vendor}: {cases:,} cases, {events:,} events; --jobs {args.jobs} "
          f"--block {args.block}")

    sample = plan[:args.baseline_blocks] if args.baseline_blocks else plan
    sampled = events if sample is plan else Event.objects.filter(
        case_id__gte=sample[0][0], case_id__lte=sample[-1][1],
        case__in=Case.objects.exclude(status="erased")).count()
    reading, deriving = _baselines(sample)
    _forget_obligations()
    first, first_line = _timed_command(args)
    written = Obligation.objects.count()
    # (title, [wall, CPU] seconds, events)
    rows = [("baseline: reading the events rows raw", reading, sampled),
            ("baseline: engine.derive alone, same facts", deriving, sampled),
            ("command, first run (all new)", first, events)]
    print(f"first run:  {first_line} ({written:,} obligations written)")
    if not args.once:
        second, second_line = _timed_command(args)
        rows.append(("command, second run (nothing changed)", second, events))
        print(f"second run: {second_line}")
    if sampled != events:
        print(f"baselines over the first {len(sample)} blocks ({sampled:,} events)")
    print(f"{'':44} {'wall s':>7} {'events/s':>9} {'CPU s':>7} {'events/CPU s':>12} "
          f"{'/ read':>7} {'/ engine':>8}  (ratios of CPU time per event)")
    per_read, per_engine = reading[1] / sampled, deriving[1] / sampled
    for title, (wall, cpu), n in rows:
        print(f"{title:44} {wall:7.2f} {n / wall:9,.0f} {cpu:7.2f} {n / cpu:12,.0f} "
              f"{cpu / n / per_read:6.1f}x {cpu / n / per_engine:7.1f}x")
    national = 20_000_000
    for title, (wall, cpu), _n in rows[2:]:
        minutes, cpu_minutes = national / (events / wall) / 60, national / (events / cpu) / 60
        print(f"{title}: 20M events in {minutes:.0f} min at this wall rate, "
              f"{cpu_minutes:.0f} min of CPU (target 10 min: "
              f"{'met' if minutes <= 10 else 'missed'} at the wall rate)")
    if args.per_case:
        all_new, unchanged, sample_events = _per_case(args.per_case)
        print(f"per-case path (services.recompute), first {args.per_case} cases, "
              f"{sample_events:,} events: all new {sample_events / all_new:,.0f} events/s, "
              f"nothing changed {sample_events / unchanged:,.0f} events/s")
    if args.profile:
        sample = plan[:max(1, 2000 // args.block)]
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{Obligation._meta.db_table}" '  # noqa: S608  # nosec B608
                           "WHERE case_id <= %s", [sample[-1][1]])
        _profiled(sample, f"first run, {sum(n for *_b, n in sample):,} cases, all new")
        _profiled(sample, "second run, same cases, nothing changed")


if __name__ == "__main__":
    main()
