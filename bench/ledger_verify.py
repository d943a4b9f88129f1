"""`verify` throughput, as a share of raw SHA-256 over the same bytes, measured in one run.

    .venv/bin/python bench/ledger_verify.py --cases 10000 [--runs 3] [--profile]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--reuse]

Loads the synthetic national dataset (bench/dataset.py) unless --reuse, then:
1. runs the verification of every case once with SHA-256 recorded, collecting every byte
   string the ledger hashes (entry hashes and record digests);
2. times the verification of every case (`qorgau.cases.verification.verify_all`, what the
   `verify` command runs) over --runs, uninstrumented;
3. times raw hashlib.sha256 over the same byte strings, in the same run.
The figure is verify's bytes per second as a share of raw SHA-256's. --profile adds the
functions where verify spends its time (cProfile, cumulative).
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402


class _Recording:
    """hashlib for qorgau.cases.ledger, keeping what is hashed."""

    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def sha256(self, data: bytes = b"") -> Any:
        self.seen.append(bytes(data))
        return hashlib.sha256(data)


def _verify_all() -> tuple[int, int, int]:
    from qorgau.cases.verification import verify_all

    cases = entries = broken = 0
    for report in verify_all():
        cases += 1
        entries += report.entries
        broken += report.problem is not None
    return cases, entries, broken


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    dataset.open_database(args)
    from django.db import connection

    from qorgau.cases import ledger

    if not args.reuse:
        started = time.perf_counter()
        _digest, events = dataset.load(args.cases, args.seed, args.jobs)
        print(f"dataset: {args.cases:,} cases, {events:,} events loaded in "
              f"{time.perf_counter() - started:.0f} s")

    recording = _Recording()
    ledger.hashlib = recording  # type: ignore[assignment]
    try:
        cases, entries, broken = _verify_all()
    finally:
        ledger.hashlib = hashlib  # type: ignore[assignment]
    assert broken == 0, f"{broken} cases do not verify"
    hashed = sum(len(b) for b in recording.seen)
    print(f"database ({connection.vendor}): {cases:,} cases, {entries:,} ledger entries; "
          f"verify hashes {len(recording.seen):,} byte strings, {hashed / 1e6:,.1f} MB")

    verify_times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        _verify_all()
        verify_times.append(time.perf_counter() - started)
    sha_times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for data in recording.seen:
            hashlib.sha256(data).hexdigest()
        sha_times.append(time.perf_counter() - started)
    verify_s, sha_s = statistics.median(verify_times), statistics.median(sha_times)
    print(f"verify:      {verify_s:8.2f} s  {hashed / verify_s / 1e6:10.2f} MB/s  "
          f"{entries / verify_s:10,.0f} entries/s  {cases / verify_s:8,.0f} cases/s")
    print(f"raw SHA-256: {sha_s:8.2f} s  {hashed / sha_s / 1e6:10.2f} MB/s")
    print(f"verify runs at {100 * sha_s / verify_s:.2f}% of raw SHA-256 over the same bytes "
          f"(target >= 50%); medians of {args.runs} runs")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _verify_all()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())


if __name__ == "__main__":
    main()
