"""Timing pages through the whole Django stack, as a logged-in user, against a baseline.

Shared by the page benchmarks (bench/needs_action.py, ...): a test client logged in as a
user with a second factor (a whole login, as allauth records it), p50/p95 of a page and,
interleaved in the same run, of the baseline (the site root: a redirect, middleware and
the session read and written, no work of its own), and the queries of one request.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from dataclasses import dataclass
from typing import Any

BASELINE_URL = "/"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def client_for(user: Any) -> Any:
    """A test client logged in as `user` (TOTP enrolled if missing)."""
    from allauth.account.signals import user_logged_in
    from allauth.mfa.models import Authenticator
    from django.test import Client

    from qorgau.accounts.services import enrol_totp
    from qorgau.conftest import TOTP_SECRET, _full_login

    user_logged_in.connect(_full_login, dispatch_uid="bench-full-login")
    if not Authenticator.objects.filter(user=user).exists():
        enrol_totp(user, TOTP_SECRET)
    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Timing:
    queries: int
    p50: float  # seconds
    p95: float
    base_p50: float
    base_p95: float

    @property
    def ratio(self) -> float:
        return self.p50 / self.base_p50


def time_page(client: Any, url: str, runs: int, warm: int = 3) -> Timing:
    """p50/p95 of GET `url` (must answer 200) and of the baseline, interleaved."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):  # templates, caches, the connection
        status = client.get(url).status_code
        assert status == 200, f"{url} answered {status}"
        client.get(BASELINE_URL)
    # The collector as qorgau/wsgi.py sets it in a server before its first request.
    from qorgau.collector import settle

    settle()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = len(ctx.captured_queries)  # now: every request starts a new log
    page, base = [], []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(BASELINE_URL)
        base.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(url)
        page.append(time.perf_counter() - started)
    return Timing(queries, statistics.median(page), percentile(page, 0.95),
                  statistics.median(base), percentile(base, 0.95))


def print_table(rows: list[tuple[str, Timing]]) -> None:
    print(f"{'':44} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'base p50':>8} "
          f"{'base p95':>8} {'p50/base':>8}")
    for name, t in rows:
        print(f"{name:44} {t.queries:>7} {t.p50 * 1000:8.1f} {t.p95 * 1000:8.1f} "
              f"{t.base_p50 * 1000:8.1f} {t.base_p95 * 1000:8.1f} {t.ratio:7.1f}x")


def slowest_plans(client: Any, url: str, top: int = 2) -> str:
    """The PostgreSQL plans (EXPLAIN ANALYZE, BUFFERS) of the `top` slowest reads of one
    GET `url`, with the time each took in the request: where a page's database time goes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert connection.vendor == "postgresql", "plans are read from PostgreSQL"
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(url).status_code
    assert status == 200, f"{url} answered {status}"
    reads = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    reads.sort(key=lambda q: float(q["time"]), reverse=True)
    out = []
    with connection.cursor() as cursor:
        for query in reads[:top]:
            # The captured text is the statement as sent, its values inlined.
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
            out.append(f"  {float(query['time']) * 1000:.1f} ms in the request: "
                       f"{query['sql'][:160]}...\n{plan}")
    return "\n".join(out)


def profile(client: Any, url: str, runs: int) -> str:
    """cProfile over `runs` requests: the functions by own time, then by cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats("qorgau/", 40)  # the project's own functions
    return out.getvalue()
