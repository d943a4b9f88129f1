"""`verify` throughput against raw SHA-256 of the same bytes and against reading the same
rows, both measured in the same run.

    .venv/bin/python bench/ledger_verify.py --cases 10000 [--runs 3] [--profile]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--reuse] [--block 500] [--verify-jobs 2] [--sample 20000]

Loads the synthetic national dataset (bench/dataset.py) unless --reuse, then:
1. runs the verification of every case once with SHA-256 recorded, collecting every byte
   string the ledger hashes (entry hashes and record digests), and every query it sends
   (SQL and parameters);
2. times the verification of every case (`qorgau.cases.verification.verify_all`, what the
   `verify` command runs) over --runs, uninstrumented;
3. times reading the same rows: the recorded queries sent again through the same database
   connection, every row fetched, nothing converted (no model fields, no decryption, no
   JSON), no hashing: the database-bound baseline;
4. times raw hashlib.sha256 over the recorded byte strings.
The figures are verify's bytes per second as a share of raw SHA-256's, and the time of
reading the rows as a share of verify's. --verify-jobs N also times `verify --jobs N`.
--profile adds where verify spends its time (cProfile): reading, decrypting, canonical JSON,
hashing, and the functions with the most time of their own. --sample N verifies about N
cases (whole blocks spread evenly over the database) instead of every case: at 1M cases
the recorded byte strings of every case would not fit in memory.
"""

from __future__ import annotations

import cProfile
import hashlib
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
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


class _Decrypting:
    """qorgau.fields.keyring for verify, keeping every token it decrypts."""

    def __init__(self, keyring: Callable[[], Any]) -> None:
        self.keyring = keyring
        self.seen: list[str] = []

    def __call__(self) -> Any:
        return self

    def decrypt(self, token: str) -> str:
        self.seen.append(token)
        return str(self.keyring().decrypt(token))


class _Queries:
    """A connection execute wrapper keeping every query sent, with its parameters."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: Any) -> Any:
        assert not many, "verify only reads"
        self.sent.append((sql, params))
        return execute(sql, params, many, context)


def _sample(cases: int, block: int) -> list[int]:
    """About `cases` case ids in whole blocks spread evenly over the database's ids."""
    from qorgau.cases.verification import case_ids

    ids = list(case_ids())
    blocks = [ids[start:start + block] for start in range(0, len(ids), block)]
    step = max(1, len(blocks) * block // max(cases, 1))
    return [case_id for chosen in blocks[::step] for case_id in chosen]


def _verify_all(jobs: int = 1, block: int = 500,
                ids: list[int] | None = None) -> tuple[int, int, int]:
    """Verify the cases `ids` (None: every case)."""
    from qorgau.cases.verification import verify_all

    cases = entries = broken = 0
    for report in verify_all(jobs=jobs, block=block, ids=ids):
        cases += 1
        entries += report.entries
        broken += report.problem is not None
    return cases, entries, broken


def _read_rows(queries: list[tuple[str, Any]]) -> int:
    """Send the queries again and fetch every row, raw."""
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def _median_time(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (of this process) of `runs` runs of `work`."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


# Where verify's time goes: (part of the file name, part of the function name) of the
# functions doing each part, summed by cumulative time.
PARTS = {
    "reading rows (database driver: execute, fetch)": (
        ("~", "'execute' of 'sqlite3.Cursor'"), ("~", "'fetchmany' of 'sqlite3.Cursor'"),
        ("psycopg/cursor.py", "execute"), ("psycopg/cursor.py", "fetchmany")),
    "decrypting (Fernet)": (("qorgau/crypto.py", "decrypt"),),
    "JSON of ledger details (json.loads)": (("django/db/models/fields/json.py",
                                             "from_db_value"),),
    "JSON of records (C encoder; RFC 8785 check)": (
        ("qorgau/chain.py", "_fast"), ("qorgau/chain.py", "_plain"), ("rfc8785", "dumps")),
    "SHA-256": (("~", "_hashlib.openssl_sha256"), ("~", "'hexdigest' of '_hashlib.HASH'")),
}


def _parts(stats: pstats.Stats) -> tuple[float, dict[str, float]]:
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    found = dict.fromkeys(PARTS, 0.0)
    for (filename, _line, name), (_cc, _nc, _tt, ct, _callers) in table.items():
        for part, marks in PARTS.items():
            if any(file in filename and function in name for file, function in marks):
                found[part] += ct
    return total, found


def _profile(block: int, ids: list[int] | None) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    _verify_all(block=block, ids=ids)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total, found = _parts(stats)
    print(f"\nwhere verify's time goes (cProfile, one run, {total:.1f} s profiled):")
    for part, seconds in found.items():
        print(f"  {part:52s} {seconds:7.2f} s  {100 * seconds / total:5.1f}%")
    rest = total - sum(found.values())
    print(f"  {'the rest (ORM, building records, checking)':52s} {rest:7.2f} s  "
          f"{100 * rest / total:5.1f}%")
    print("\nfunctions with the most time of their own:")
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="processes building the dataset")
    parser.add_argument("--block", type=int, default=500, help="cases verify reads together")
    parser.add_argument("--verify-jobs", type=int, default=1,
                        help="also time verify with this many processes")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sample", type=int, default=0, metavar="N",
                        help="verify about N cases, whole blocks spread over the database "
                             "(default: every case)")
    args = parser.parse_args()
    dataset.open_database(args)
    from django.db import connection

    from qorgau import chain as ledger  # its hashlib is swapped for a recording one

    dataset.load_unless_reused(args)
    sample = _sample(args.sample, args.block) if args.sample else None
    if sample:
        print(f"sample: {len(sample):,} cases in blocks of {args.block} spread over the ids")

    from qorgau import fields

    recording, queries, decrypting = _Recording(), _Queries(), _Decrypting(fields.keyring)
    ledger.hashlib = recording  # type: ignore[assignment]
    fields.keyring = decrypting  # type: ignore[assignment]
    try:
        with connection.execute_wrapper(queries):
            cases, entries, broken = _verify_all(block=args.block, ids=sample)
    finally:
        ledger.hashlib = hashlib  # type: ignore[assignment]
        fields.keyring = decrypting.keyring  # type: ignore[assignment]
    assert broken == 0, f"{broken} cases do not verify"
    hashed = sum(len(b) for b in recording.seen)
    rows = _read_rows(queries.sent)
    print(f"database ({connection.vendor}): {cases:,} cases, {entries:,} ledger entries; "
          f"verify sends {len(queries.sent):,} queries for {rows:,} rows (blocks of "
          f"{args.block}), decrypts {len(decrypting.seen):,} Fernet tokens and hashes "
          f"{len(recording.seen):,} byte strings, {hashed / 1e6:,.1f} MB")

    def line(name: str, seconds: tuple[float, float]) -> str:
        wall, cpu = seconds
        return (f"{name:28s} {wall:8.2f} s ({cpu:7.2f} s CPU here)  {entries / wall:9,.0f} "
                f"entries/s  {cases / wall:8,.0f} cases/s")

    verify_s = _median_time(args.runs, lambda: _verify_all(block=args.block, ids=sample))
    print(line("verify", verify_s))
    if args.verify_jobs > 1:
        jobs_s = _median_time(args.runs, lambda: _verify_all(args.verify_jobs, args.block, sample))
        print(line(f"verify --jobs {args.verify_jobs}", jobs_s))
    read_s = _median_time(args.runs, lambda: _read_rows(queries.sent))
    print(line("reading the rows (raw)", read_s))
    ring = decrypting.keyring()
    decrypt_s = _median_time(args.runs, lambda: [ring.decrypt(t) for t in decrypting.seen])
    print(line("decrypting the tokens", decrypt_s))
    sha_s = _median_time(args.runs, lambda: [hashlib.sha256(b).hexdigest()
                                             for b in recording.seen])
    print(line("SHA-256 of the bytes", sha_s))
    base_s = tuple(read_s[i] + decrypt_s[i] + sha_s[i] for i in (0, 1))
    print(line("read + decrypt + hash", base_s))  # type: ignore[arg-type]
    for how, at in (("wall-clock", 0), ("CPU of this process", 1)):
        print(f"by {how} time: verify runs at {100 * base_s[at] / verify_s[at]:.1f}% of the "
              f"speed of reading, decrypting and hashing the same rows (target >= 50%; "
              f"reading alone {100 * read_s[at] / verify_s[at]:.1f}%, "
              f"{verify_s[at] / base_s[at]:.2f}x their time)")
    print(f"(medians of {args.runs} runs; on PostgreSQL the server's CPU is not in "
          f"'CPU here'; load average {os.getloadavg()[0]:.1f})")
    if args.verify_jobs > 1:
        print(f"verify --jobs {args.verify_jobs}: {100 * base_s[0] / jobs_s[0]:.1f}% of "
              f"read + decrypt + hash, {verify_s[0] / jobs_s[0]:.2f}x one process (wall-clock)")
    if args.profile:
        _profile(args.block, sample)


if __name__ == "__main__":
    main()
