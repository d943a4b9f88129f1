"""API latency: p50/p95 of the main endpoints on a seeded database, as a ratio to a baseline.

    .venv/bin/python bench/api_latency.py [--cases 200] [--events 500] [--runs 50]
                                          [--database-url postgres://...]

Requests go through the whole Django stack in-process (django.test.Client, a real token:
hashing, the rate-limit counter, the audit row, the case check and the ledgered read). The
baseline, measured in the same run, is the cheapest authenticated answer: a 404 for a case
that does not exist (token check, rate limit, audit row, one access query). By default a
throw-away SQLite database; --database-url for PostgreSQL (the database is emptied first).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="qorgau-bench-api-"))


def _setup(database_url: str | None) -> None:
    os.environ.update(QORGAU_ENV="test", QORGAU_DATA_DIR=str(WORK),
                      DATABASE_URL=database_url or f"sqlite:///{WORK / 'bench.sqlite3'}",
                      QORGAU_API_RATE_PER_MINUTE="100000000",
                      DJANGO_SETTINGS_MODULE="qorgau.settings")
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the baseline's 404s


KINDS = ["physical_assault", "police_report", "order_issued", "order_breached",
         "medical_exam", "threat_to_kill", "hearing", "referral_made"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--events", type=int, default=500, help="events in the measured case")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _setup(args.database_url)

    from django.core.management import call_command
    from django.test import Client

    from qorgau.accounts.models import Organisation
    from qorgau.accounts.services import add_member, create_user
    from qorgau.api import tokens
    from qorgau.cases import services
    from qorgau.cases.models import Event

    if args.database_url:
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Bench", slug="bench-api")
    user = create_user("bench-api@bench.test", None)
    add_member(user, org, "caseworker")
    for n in range(args.cases - 1):
        other = services.create_case(org, user, region="kz-west")
        services.add_party(other, user, role="survivor", full_name=f"Survivor {n}")
    case = services.create_case(org, user, region="kz-west")
    services.add_party(case, user, role="survivor", full_name="Measured Survivor")
    events: list[Event] = []
    for n in range(args.events):
        day = f"{2015 + n % 10}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        links = [(events[-1], "related_to")] if events and n % 3 == 0 else []
        events.append(services.record_event(case, user, services.EventInput(
            kind=KINDS[n % len(KINDS)], span=services.parse_span(day), source="survivor",
            reliability="probable", narrative=f"Event {n} " + "x" * 200, links=links)))
    secret = tokens.create_token(user, "bench", ["read", "write"], 1).secret
    client = Client(headers={"Authorization": f"Bearer {secret}"}, HTTP_HOST="127.0.0.1")
    base = f"/api/v1/cases/{case.reference}"
    body = json.dumps({"kind": "police_report", "when": {"start": "2024-05-01"},
                       "source": "survivor", "reliability": "probable"})

    def get(path: str) -> Callable[[], int]:
        return lambda: client.get(path).status_code

    def post(path: str) -> Callable[[], int]:
        return lambda: client.post(path, body, content_type="application/json").status_code

    measured = {
        "baseline: 404 for a case that does not exist": (get("/api/v1/cases/NONE-XXXX"), 404),
        "case list (50 of the user's cases)": (get("/api/v1/cases?limit=50"), 200),
        "case detail": (get(base), 200),
        "events list (first 50)": (get(f"{base}/events?limit=50"), 200),
        "event create": (post(f"{base}/events"), 201),
        "obligations": (get(f"{base}/obligations"), 200),
    }
    print(f"{args.cases} cases, measured case with {args.events} events, "
          f"{args.runs} runs each, database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    rows = []
    for name, (call, status) in measured.items():
        for _ in range(5):
            assert call() == status, name
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            assert call() == status, name
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p50 = statistics.median(times)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        rows.append((name, p50, p95))
    baseline = rows[0][1]
    print("| endpoint | p50 | p95 | ratio to baseline (p50) |")
    print("|---|---|---|---|")
    for name, p50, p95 in rows:
        print(f"| {name} | {p50:.1f} ms | {p95:.1f} ms | {p50 / baseline:.1f}x |")


if __name__ == "__main__":
    main()
