"""A block's links read by their source events against the join by case it replaced.

    .venv/bin/python bench/link_read.py --reuse --database postgres://...qorgau_1m [--blocks 3]

On a national dataset (bench/dataset.py): for blocks of 1,000 cases spread over the ids, the
time of `EventLink.rows_from` (the source index, as recompute and verify now read links)
and of the join from the events by case range (as they read them before), same rows.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    dataset.open_database(args)
    from qorgau.cases.models import Case, EventLink
    from qorgau.duties import bulk

    cases = Case.objects.count()
    for n in range(args.blocks):
        first = (n + 1) * cases // (args.blocks + 1)
        ids = [row[1] for row in bulk._events(first, first + 999)]
        started = time.perf_counter()
        by_source = sorted(EventLink.rows_from(ids, "source_id", "target_id"))
        new = time.perf_counter() - started
        started = time.perf_counter()
        joined = sorted(EventLink.objects.filter(
            source__case_id__gte=first, source__case_id__lte=first + 999).values_list(
            "source_id", "target_id"))
        old = time.perf_counter() - started
        assert by_source == joined
        print(f"cases {first:,}-{first + 999:,}: {len(ids):,} events, {len(joined):,} links; "
              f"by source {new * 1000:.0f} ms, joined by case {old * 1000:.0f} ms "
              f"({old / new:.1f}x)")


if __name__ == "__main__":
    main()
