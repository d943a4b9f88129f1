"""Duties engine throughput: events per second through `engine.derive`.

    .venv/bin/python bench/duties_engine.py [--cases 50000] [--events 20] [--profile kz]

Synthetic cases shaped like real ones (abuse, reports, orders, breaches, responses, links,
approximate dates). The baseline, measured in the same run on the same facts, is the cheapest
honest pass over them: sorting each case's facts chronologically, which the engine must do
anyway. The ratio says what the law costs on top of reading the timeline. At DESIGN.md's
national scale (1,000,000 cases, 20,000,000 events) use --cases 1000000.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qorgau.cases.dates import DateSpan  # noqa: E402
from qorgau.duties import engine, profiles  # noqa: E402

KINDS = ["physical_assault", "strangulation", "threat_to_kill", "psychological_abuse",
         "police_report", "police_report", "order_requested", "order_issued",
         "order_breached", "breach_response", "referral_made", "medical_exam",
         "risk_assessment", "hearing", "case_opened", "complaint_official"]


def synthetic_case(rng: random.Random, n: int) -> list[engine.Fact]:
    facts: list[engine.Fact] = []
    day = date(2021, 1, 1) + timedelta(days=rng.randrange(1500))
    for number in range(1, n + 1):
        day += timedelta(days=rng.randrange(0, 40))
        kind = rng.choice(KINDS)
        text = rng.choice([day.isoformat(), day.isoformat()[:7], day.isoformat()[:4]])
        span = DateSpan.parse(text, qualifier=rng.choice(["none", "none", "approximate"]))
        links = (rng.randrange(1, number),) if number > 1 and rng.random() < 0.4 else ()
        attributes = {}
        if kind == "order_issued":
            attributes = {"order_type": "kz.protective_order"}
        elif kind == "breach_response":
            attributes = {"response": rng.choice(["detention", "protocol", "none"])}
        institution = "police" if kind in ("referral_made", "risk_assessment") else (
            "prosecutor" if kind == "complaint_official" else "")
        facts.append(engine.Fact(number, kind, span, attributes, institution, links))
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=20, help="events per case")
    parser.add_argument("--profile", default="kz")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    profile = profiles.load(args.profile, ROOT / "profiles")
    rng = random.Random(args.seed)
    cases = [synthetic_case(rng, args.events) for _ in range(args.cases)]
    total = args.cases * args.events
    now = date(2026, 11, 25)

    start = time.perf_counter()
    for facts in cases:
        sorted(facts, key=engine.Fact.order_key)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    obligations = 0
    for facts in cases:
        obligations += len(engine.derive(profile, facts, now))
    elapsed = time.perf_counter() - start

    # Memory, on a sample (tracing slows everything down, so it is not timed).
    tracemalloc.start()
    for facts in cases[:1000]:
        engine.derive(profile, facts, now)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"profile {profile.id} ({len(profile.rules)} rules), {args.cases:,} cases x "
          f"{args.events} events = {total:,} events, {obligations:,} obligations")
    print(f"baseline (sort facts):  {total / baseline:12,.0f} events/s")
    print(f"engine.derive:          {total / elapsed:12,.0f} events/s "
          f"({elapsed:.2f} s; {elapsed / baseline:.1f}x the baseline)")
    print(f"per case: {elapsed / args.cases * 1e6:.0f} us; "
          f"peak memory while deriving one case: {peak / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
