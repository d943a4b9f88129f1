"""Court bundle build time and size for a case of 500 events and 50 exhibits.

    .venv/bin/python bench/bundle_build.py [--events 500] [--exhibits 50] [--kb 200]

Runs against a throw-away SQLite database and evidence folder. The baseline, measured in the
same run, is zipping the same decrypted originals with nothing else (no index PDF, no
signatures, no manifest), so the ratio is what the bundle's checks and documents cost.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="qorgau-bench-"))
os.environ.update(QORGAU_ENV="test", QORGAU_DATA_DIR=str(WORK),
                  DATABASE_URL=f"sqlite:///{WORK / 'bench.sqlite3'}",
                  QORGAU_EVIDENCE_DIR=str(WORK / "evidence"),
                  DJANGO_SETTINGS_MODULE="qorgau.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from qorgau.accounts.models import Organisation  # noqa: E402
from qorgau.accounts.services import add_member, create_user  # noqa: E402
from qorgau.bundles import build as builder  # noqa: E402
from qorgau.cases import services  # noqa: E402
from qorgau.cases.models import Event  # noqa: E402
from qorgau.evidence import services as evidence  # noqa: E402

KINDS = ["physical_assault", "police_report", "order_issued", "order_breached",
         "medical_exam", "threat_to_kill", "hearing", "referral_made"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--exhibits", type=int, default=50)
    parser.add_argument("--kb", type=int, default=200, help="size of each exhibit in kB")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Bench", slug="bench")
    user = create_user("bench@bench.test", "bench-password-123456")
    add_member(user, org, "lawyer")
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
    print(f"case: {args.events} events, {args.exhibits} exhibits of {args.kb} kB")
    print(f"baseline (decrypt and zip the originals): {baseline:.2f} s")
    print(f"court bundle (index PDF, signatures, manifest, ZIP): {elapsed:.2f} s "
          f"({elapsed / baseline:.1f}x the baseline), {built.size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
