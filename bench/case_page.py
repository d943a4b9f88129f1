"""Case page server time and query count for cases of 10, 100 and 1,000 events.

    .venv/bin/python bench/case_page.py --cases 10000 [--runs 50]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--reuse] [--profile]

Loads the synthetic national dataset (bench/dataset.py, --cases; or --reuse one already
loaded there by `bench/dataset.py`), adds three cases of exactly 10, 100 and 1,000 events
with their obligations and counts derived, and requests each case page through the whole
stack (Django's test client: middleware, session, login, the ledger entry every view
writes, the panels) as the case's caseworker, p50/p95 over --runs and the queries of one
request. The baseline, measured in the same run by the same client as the same user, is the
site root (a redirect): middleware, the session read and written, no work of its own.
--profile adds, for each length, where one request spends its time (cProfile over --runs
requests: the functions by own time, then the project's by cumulative time).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402

LENGTHS = (10, 100, 1000)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _profile(client: object, url: str, runs: int) -> str:
    """cProfile over `runs` requests: the functions by own time, then by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)  # type: ignore[attr-defined]
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("qorgau/", 40)  # the project's own functions
    return out.getvalue()


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    dataset.open_database(args)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from qorgau.accounts.services import enrol_totp
    from qorgau.cases.models import Case, Event
    from qorgau.conftest import TOTP_SECRET, _full_login
    from qorgau.duties import services as duties
    from qorgau.insights import services as insights

    if not args.reuse:
        started = time.perf_counter()
        _digest, events = dataset.load(args.cases, args.seed, args.jobs)
        print(f"dataset: {args.cases:,} cases, {events:,} events loaded in "
              f"{time.perf_counter() - started:.0f} s")
    total_cases = Case.objects.count()
    total_events = Event.objects.count()
    print(f"database ({connection.vendor}): {total_cases:,} cases, {total_events:,} events")

    # Three cases of known length, from a seed of their own, beside the dataset.
    pages = {}
    for length in LENGTHS:
        (shape,) = dataset.shapes(1, seed=1_000_000 + length, length=length)
        if not Case.objects.filter(reference=shape.reference).exists():
            dataset.load_shapes([shape])
        case = Case.objects.get(reference=shape.reference)
        duties.refresh_case(case)
        insights.refresh_case(case)
        pages[length] = (case, reverse("cases:detail", args=[case.reference]))

    from allauth.account.signals import user_logged_in
    from allauth.mfa.models import Authenticator

    user_logged_in.connect(_full_login, dispatch_uid="bench-full-login")
    results: list[tuple[str, int, float, float]] = []
    profiles: list[tuple[int, str]] = []
    baseline_url = "/"
    for length, (case, url) in pages.items():
        user = case.created_by
        if not Authenticator.objects.filter(user=user).exists():
            enrol_totp(user, TOTP_SECRET)
        client = Client()
        client.force_login(user)
        for _ in range(3):  # warm: templates, caches, connection
            assert client.get(url).status_code == 200
            client.get(baseline_url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        queries = len(ctx.captured_queries)
        page, base = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(baseline_url)
            base.append(time.perf_counter() - started)
            started = time.perf_counter()
            client.get(url)
            page.append(time.perf_counter() - started)
        if args.profile:
            profiles.append((length, _profile(client, url, args.runs)))
        results.append((f"case page, {length:,} events", queries,
                        statistics.median(page), percentile(page, 0.95)))
        results.append(("  baseline (site root, a redirect)", 0,
                        statistics.median(base), percentile(base, 0.95)))

    print(f"{'':38} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name, queries, p50, p95 in results:
        print(f"{name:38} {queries or '':>7} {p50 * 1000:8.1f} {p95 * 1000:8.1f}")
    for length, text in profiles:
        print(f"\n--- profile: case page, {length:,} events ---\n{text}")


if __name__ == "__main__":
    main()
