"""Court bundle build time and size for a case of 500 events and 50 exhibits.

    .venv/bin/python bench/bundle_build.py [--events 500] [--exhibits 50] [--kb 200]
        [--database postgres://...qorgau_1m --reuse]

Runs against a throw-away SQLite database and evidence folder, or with --database and
--reuse beside a national dataset (bench/dataset.py; its own organisation and user, the
evidence in a throw-away folder). The baseline, measured in the same run, is zipping the
same decrypted originals with nothing else (no index PDF, no signatures, no manifest), so
the ratio is what the bundle's checks and documents cost.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORK = Path(tempfile.mkdtemp(prefix="qorgau-bench-"))

import dataset  # noqa: E402

KINDS = ["physical_assault", "police_report", "order_issued", "order_breached",
         "medical_exam", "threat_to_kill", "hearing", "referral_made"]


def _open(args: argparse.Namespace) -> None:
    """Django on a throw-away SQLite database, or beside the dataset at --database."""
    os.environ["QORGAU_EVIDENCE_DIR"] = str(WORK / "evidence")
    if args.database:
        if not args.reuse:
            raise SystemExit("--database needs --reuse: the bundle is built beside a dataset")
        dataset.open_database(args)
        return
    os.environ.update(QORGAU_ENV="test", QORGAU_DATA_DIR=str(WORK),
                      DATABASE_URL=f"sqlite:///{WORK / 'bench.sqlite3'}",
                      DJANGO_SETTINGS_MODULE="qorgau.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _lawyer() -> tuple[Any, Any]:
    """A fresh organisation and lawyer (a new pair each run, beside whatever is there)."""
    from qorgau.accounts.models import Organisation
    from qorgau.accounts.services import add_member, create_user

    n = Organisation.objects.filter(slug__startswith="bench-bundle").count()
    org = Organisation.objects.create(name=f"Bench bundle {n}", slug=f"bench-bundle-{n}")
    user = create_user(f"bench-bundle-{n}@bench.test", "bench-password-123456")
    add_member(user, org, "lawyer")
    return org, user


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--exhibits", type=int, default=50)
    parser.add_argument("--kb", type=int, default=200, help="size of each exhibit in kB")
    parser.add_argument("--database", default="",
                        help="a national dataset's database (with --reuse)")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    _open(args)
    from qorgau.bundles import build as builder
    from qorgau.cases import services
    from qorgau.cases.models import Case, Event
    from qorgau.evidence import services as evidence

    org, user = _lawyer()
    case = services.create_case(org, user, region="kz-west")
    rng = random.Random(1)
    events: list[Event] = []
    for n in range(args.events):
        day = f"{2015 + n % 10}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        links = [(events[-1], "related_to")] if events and n % 3 == 0 else []
        events.append(services.record_event(case, user, services.EventInput(
            kind=KINDS[n % len(KINDS)], span=services.parse_span(day), source="survivor",
            reliability="probable", narrative=f"Event {n} " + "x" * 200, links=links)))
    for n in range(args.exhibits):
        data = rng.randbytes(args.kb * 1024 // 2)
        text = b"Exhibit %d\n" % n + data.hex().encode()[: args.kb * 1024]
        evidence.ingest(case, user, evidence.Upload(io.BytesIO(text), f"exhibit-{n}.txt",
                                                    event=events[n * 7 % len(events)]))

    start = time.perf_counter()
    with zipfile.ZipFile(io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as archive:
        for exhibit in case.exhibits.select_related("blob"):
            fh, _sha = evidence.open_original(exhibit)
            archive.writestr(f"{exhibit.number}.bin", fh.read())
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    built = builder.build(case, user, "ru", 1, sees_restricted=True)
    elapsed = time.perf_counter() - start
    print(f"database: {Case.objects.count():,} cases, {Event.objects.count():,} events")
    print(f"case: {args.events} events, {args.exhibits} exhibits of {args.kb} kB")
    print(f"baseline (decrypt and zip the originals): {baseline:.2f} s")
    print(f"court bundle (index PDF, signatures, manifest, ZIP): {elapsed:.2f} s "
          f"({elapsed / baseline:.1f}x the baseline), {built.size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
