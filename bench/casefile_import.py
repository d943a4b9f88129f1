"""Case file import throughput (events/s), against baselines measured in the same run.

    .venv/bin/python bench/casefile_import.py [--cases 200] [--long 1200] [--seed 11]
        [--jobs 2] [--no-per-file] [--profile]
        [--database postgres://postgres@127.0.0.1:5432/bench_import |
         sqlite:///data/bench/import.sqlite3]

Case files are generated from the synthetic dataset's shapes (bench/dataset.py): --cases
cases with the dataset's long tail (parties, links, corrections, 5-99 events, now and then
hundreds), plus one long case of --long events. On a fresh database, or with --reuse into
the national dataset already loaded there (the files then come from a seed whose
references the database does not hold yet, so a run can be repeated), it times, in this
order:
1. `validate` alone (after parsing the JSON): the floor an import cannot go under;
2. unless --no-per-file, the import one file at a time: `loads` then `import_case`;
3. the batch import, as `import-case FILE...` runs it (qorgau.cases.bulk_import), into
   another organisation (a file's digest is refused only where it was imported), after a
   warm-up on ten other files; with --jobs N also in N processes, into a third;
4. the same cases as rows built and written the way bench/dataset.py loads the national
   dataset (records, digests and encryption in Python, then COPY on PostgreSQL or
   executemany on SQLite), in one transaction: what writing these rows costs at least.
   It derives no obligations or counts and encrypts each distinct text once; the import
   does both, as it must.
Steps 3 and 4 run --repeat times (default 5), taking turns so that both meet the same load on
a shared machine; the best time of each is kept. It prints the batch's speed as a share of
building and writing (issue 30's target: at least 50%), per database. Then `verify` must pass
on every imported case. --profile imports the files once more as a batch under cProfile and
prints where the time goes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402

SOURCES = ["survivor", "survivor", "document", "official_record", "witness", "staff"]
RELIABILITY = ["confirmed", "probable", "probable", "possible"]


def case_file(shape: dataset.CaseShape) -> dict[str, Any]:
    """The case file of a generated case, with the text a real one carries."""
    rng = random.Random(f"file:{shape.reference}")
    parties = []
    for i, p in enumerate(shape.parties, start=1):
        parties.append({
            "key": f"p{i}", "role": p.role, "relationship": p.relationship,
            "co_resident": p.co_resident, "institution": p.institution,
            "full_name": p.full_name, "other_names": "",
            "birth_date": f"{rng.randrange(1960, 2004)}" if p.role == "survivor" else "",
            "address": f"{rng.choice(dataset.PLACES)}, {rng.randrange(1, 200)}"
            if p.role in ("survivor", "respondent") else "",
            "phone": f"+7 70{rng.randrange(10_000_000, 99_999_999)}"
            if p.role == "survivor" else "",
            "documents": "", "notes": "",
        })
    events = []
    for e in shape.events:
        span = e.span()
        events.append({
            "number": e.number, "kind": e.kind,
            "when": {"start": span.start.iso() if span.start else "", "end": "",
                     "qualifier": span.qualifier, "recurrence": span.recurrence},
            "source": rng.choice(SOURCES), "reliability": rng.choice(RELIABILITY),
            "institution": e.institution, "institution_unit": "",
            "place": rng.choice(dataset.PLACES), "narrative": rng.choice(dataset.NARRATIVES),
            "attributes": e.attributes,
            "parties": [{"party": f"p{i + 1}", "role": role} for i, role in e.parties],
            "links": [{"target": target, "kind": kind} for target, kind in e.links],
            "supersedes": e.supersedes,
            "correction_reason": "The date was checked against the document."
            if e.supersedes else "",
        })
    return {
        "format": "qorgau.case-file", "version": 1,
        "exported_at": "2026-11-30T12:00:00+00:00",
        "case": {"reference": shape.reference, "profile": "kz", "region": shape.region,
                 "status": "closed" if shape.closed else "open"},
        "parties": parties,
        "events": events,
    }


def _profile(run: Any) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 200)
    parser.set_defaults(database="postgres://postgres@127.0.0.1:5432/bench_import")
    parser.add_argument("--long", type=int, default=1200,
                        help="events in the one long case (0: none)")
    parser.add_argument("--profile", action="store_true",
                        help="import the files once more as a batch, under cProfile")
    parser.add_argument("--repeat", type=int, default=5,
                        help="times each is measured, taking turns (the best is kept)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="also time the batch import with this many processes")
    parser.add_argument("--no-per-file", dest="per_file", action="store_false",
                        help="leave out the one-file-at-a-time import (slow)")
    args = parser.parse_args()
    dataset.open_database(args)
    from django.db import connection

    from qorgau.accounts.models import Organisation, User
    from qorgau.accounts.services import add_member, create_user
    from qorgau.cases import bulk_import, casefile
    from qorgau.cases.models import Case
    from qorgau.cases.verification import verify_all

    seed = args.seed
    if args.reuse:  # beside a dataset: references it does not hold (nor an earlier run)
        seed += 1000
        while Case.objects.filter(reference__in=[dataset.reference(seed, 0),
                                                 dataset.reference(seed + 1, 0)]).exists():
            seed += 2
    before = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    print(f"database ({connection.vendor}): {Case.objects.count():,} cases before the import")
    shapes = list(dataset.shapes(args.cases, seed))
    if args.long:
        shapes += list(dataset.shapes(1, seed + 1, length=args.long))
    texts = [casefile.dumps(case_file(shape)) for shape in shapes]
    events = sum(len(shape.events) for shape in shapes)
    longest = max(len(shape.events) for shape in shapes)
    organisation, _ = Organisation.objects.get_or_create(
        slug="import-bench", defaults={"name": "Import bench"})
    user = (User.objects.filter(username="importer@bench.test").first()
            or create_user("importer@bench.test", None))
    add_member(user, organisation, "caseworker")
    print(f"database ({connection.vendor}): {len(texts)} case files, {events:,} events "
          f"(longest {longest:,}), {sum(map(len, texts)) / 1e6:.1f} MB of JSON")

    def validate_all() -> None:
        for text in texts:
            casefile.validate(casefile.loads(text))

    def import_all(only: Iterable[str] = texts) -> None:
        for text in only:
            casefile.import_case(casefile.loads(text), organisation, user)

    def organisation_for(slug: str) -> Organisation:
        """Another organisation with the same importer: the files are new to it."""
        found, _ = Organisation.objects.get_or_create(slug=slug, defaults={"name": slug})
        add_member(user, found, "caseworker")
        return found

    def import_batch(into: Organisation, jobs: int = 1) -> None:
        result = bulk_import.import_files(
            [(f"case-{i}.json", text) for i, text in enumerate(texts)], into, user, jobs=jobs)
        assert not result.failed, result.failed[0].problems

    started = time.perf_counter()
    validate_all()
    validate_s = time.perf_counter() - started
    short_s = long_s = 0.0
    if args.per_file:
        started = time.perf_counter()
        import_all(texts[:-1] if args.long else texts)
        short_s = time.perf_counter() - started
        if args.long:
            started = time.perf_counter()
            import_all(texts[-1:])
            long_s = time.perf_counter() - started
    import_s = short_s + long_s
    # Warm-up: a few other files first (profiles parsed, keys and caches loaded), so that
    # what is timed is the steady state of a migration of thousands of files.
    warm = [casefile.dumps(case_file(shape)) for shape in dataset.shapes(10, seed + 2)]
    warmed = bulk_import.import_files([(f"warm-{i}.json", text) for i, text in enumerate(warm)],
                                      organisation_for(f"import-bench-warm-{seed}"), user)
    assert not warmed.failed, warmed.failed[0].problems
    # Each measure `--repeat` times, the import and the baseline taking turns (so that both
    # meet the same load on a shared machine); the best of each is compared.
    runs: list[tuple[float, float, float, float]] = []
    ctx = dataset.prepare()
    for run in range(args.repeat):
        started = time.perf_counter()
        import_batch(organisation_for(f"import-bench-batch-{seed}-{run}"))
        batch_s = time.perf_counter() - started
        jobs_s = 0.0
        if args.jobs > 1:
            started = time.perf_counter()
            import_batch(organisation_for(f"import-bench-jobs-{seed}-{run}"), args.jobs)
            jobs_s = time.perf_counter() - started
        renamed = [replace(shape, reference=f"{shape.reference}-{run}") if run else shape
                   for shape in shapes]
        started = time.perf_counter()
        tables, _heads, _events = dataset.chunk_rows(renamed, dataset.next_ids(), ctx)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        dataset.write(tables)
        write_s = time.perf_counter() - started
        dataset.finish()  # the sequences past the ids written, before the next import
        runs.append((batch_s, jobs_s, build_s, write_s))
        print(f"run {run + 1}: batch {batch_s:.2f} s"
              + (f", --jobs {args.jobs} {jobs_s:.2f} s" if args.jobs > 1 else "")
              + f", build {build_s:.2f} s + write {write_s:.2f} s")
    batch_s, jobs_s, build_s, write_s = (min(column) for column in zip(*runs, strict=True))

    written = Case.objects.filter(pk__gt=before).exclude(
        organisation__slug__startswith="dataset-").order_by("pk").values_list("pk", flat=True)
    broken = [report for report in verify_all(ids=list(written)) if report.problem is not None]
    assert not broken, f"{len(broken)} cases do not verify: {broken[0]}"
    print(f"verify: the {len(written)} imported cases pass")

    def line(name: str, seconds: float, n: int = events) -> str:
        return f"{name:<44} {seconds:8.2f} s {n / seconds:12,.0f} events/s"

    print(line("validate alone (loads + validate)", validate_s))
    if args.per_file:
        print(line("import one file at a time (import_case)", import_s))
        short_events = events - (len(shapes[-1].events) if args.long else 0)
        print(line(f"  of which {len(texts) - bool(args.long)} dataset cases", short_s,
                   short_events))
        if args.long:
            print(line(f"  of which the {args.long:,}-event case", long_s,
                       len(shapes[-1].events)))
    print(line("batch import (import-case FILE...)", batch_s))
    if args.jobs > 1:
        print(line(f"  with --jobs {args.jobs}", jobs_s))
    print(line("rows as bench/dataset.py builds them", build_s))
    print(line(f"  written by {'COPY' if connection.vendor == 'postgresql' else 'executemany'}",
               write_s))
    print(line("  built and written", build_s + write_s))
    ratio = (build_s + write_s) / batch_s
    print(f"{connection.vendor}: the batch import runs at {ratio:.0%} of the speed of building "
          f"and writing the same rows (target >= 50%: {'met' if ratio >= 0.5 else 'missed'})"
          + (f"; {import_s / batch_s:.1f}x the one-file-at-a-time import" if args.per_file
             else ""))
    if args.jobs > 1 and connection.vendor != "postgresql":
        print(f"{connection.vendor}: --jobs {args.jobs} imports in one process (one writer "
              "at a time): that line is the batch timed again")
    elif args.jobs > 1:
        print(f"{connection.vendor}: with --jobs {args.jobs}, "
              f"{(build_s + write_s) / jobs_s:.0%} (target >= 50%: "
              f"{'met' if (build_s + write_s) / jobs_s >= 0.5 else 'missed'}; "
              f"build + COPY in one process)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.profile:
        into = organisation_for(f"import-bench-profile-{seed}")
        print(_profile(lambda: import_batch(into)))


if __name__ == "__main__":
    main()
