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

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402
import pages  # noqa: E402

LENGTHS = (10, 100, 1000)


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    dataset.open_database(args)
    from django.urls import reverse

    from qorgau.cases.models import Case
    from qorgau.duties import services as duties
    from qorgau.insights import services as insights

    dataset.load_unless_reused(args)
    # Three cases of known length, from a seed of their own, beside the dataset.
    cases = {}
    for length in LENGTHS:
        (shape,) = dataset.shapes(1, seed=1_000_000 + length, length=length)
        if not Case.objects.filter(reference=shape.reference).exists():
            dataset.load_shapes([shape])
        case = Case.objects.get(reference=shape.reference)
        duties.refresh_case(case)
        insights.refresh_case(case)
        cases[length] = (case, reverse("cases:detail", args=[case.reference]))

    rows: list[tuple[str, pages.Timing]] = []
    profiles: list[tuple[int, str]] = []
    for length, (case, url) in cases.items():
        client = pages.client_for(case.created_by)
        rows.append((f"case page, {length:,} events", pages.time_page(client, url, args.runs)))
        if args.profile:
            profiles.append((length, pages.profile(client, url, args.runs)))
    pages.print_table(rows)
    for length, text in profiles:
        print(f"\n--- profile: case page, {length:,} events ---\n{text}")


if __name__ == "__main__":
    main()
