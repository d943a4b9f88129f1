"""The Needs action queue and the case list at national scale: server time p50/p95, queries.

    .venv/bin/python bench/needs_action.py --reuse --database postgres://...qorgau_100k
        [--runs 30] [--cases 10000 (without --reuse: loads the dataset first)]
        [--plans] [--profile]

On the synthetic national dataset (bench/dataset.py) with its obligations derived (if the
database has none, `recompute-obligations` derives them first, timed). Measured, through
the whole stack as in bench/pages.py: the queue of the dataset's busiest caseworker (every
case of her organisation is assigned to her: at 1,000,000 cases, about 10,000 cases and
their open duties, the worst case), its first and tenth page; and the queue of a
caseworker with a typical load (150 open cases of the same organisation, assigned to her
through the services); a supervisor on every open case of that organisation (her role
does not see restricted events, which her queue must hide); the case list (newest first,
50 a page) of each. Baseline: the site root, in the same run, as the same user.

--plans prints, for the busiest caseworker's first page of each list, the PostgreSQL plans
of its two slowest reads; --profile, where the request's time goes (cProfile over --runs).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import dataset  # noqa: E402
import pages  # noqa: E402

TYPICAL_LOAD = 150


def main() -> None:
    parser = dataset.bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    dataset.open_database(args)
    from django.core.management import call_command
    from django.db.models import Count, Q
    from django.urls import reverse

    from qorgau.accounts.models import User
    from qorgau.accounts.services import add_member, create_user
    from qorgau.cases import services as case_services
    from qorgau.cases.models import Case, CaseAssignment
    from qorgau.duties.models import Obligation

    dataset.load_unless_reused(args)
    if not Obligation.objects.exists():
        started = time.perf_counter()
        call_command("recompute-obligations", "--jobs", str(args.jobs), verbosity=0)
        print(f"obligations derived in {time.perf_counter() - started:.0f} s")
    print(f"{Obligation.objects.count():,} obligations")

    made_here = ("typical@dataset.test", "supervisor@dataset.test")
    busiest = (User.objects.filter(email__endswith="@dataset.test")
               .exclude(email__in=made_here)  # the dataset's own caseworkers
               .annotate(open=Count("case_assignments", filter=Q(
                   case_assignments__case__status=Case.Status.OPEN)))
               .order_by("-open").first())
    assert busiest is not None, "no dataset caseworkers: load the dataset first"
    organisation = busiest.memberships.get().organisation
    typical = User.objects.filter(email=made_here[0]).first()
    if typical is None:
        typical = create_user(made_here[0], None)
        add_member(typical, organisation, "caseworker")
        for case in Case.objects.filter(organisation=organisation,
                                        status=Case.Status.OPEN).order_by("-pk")[:TYPICAL_LOAD]:
            case_services.assign(case, typical, busiest)
    # A supervisor of the same organisation on every open case of it: her role may not
    # see restricted events, so her queue also asks each duty's trigger.
    supervisor = User.objects.filter(email=made_here[1]).first()
    if supervisor is None:
        supervisor = create_user(made_here[1], None)
        add_member(supervisor, organisation, "supervisor")
        for case in Case.objects.filter(organisation=organisation, status=Case.Status.OPEN):
            case_services.assign(case, supervisor, busiest)
    open_of = {user: CaseAssignment.objects.filter(user=user, case__status="open").count()
               for user in (busiest, typical, supervisor)}

    url = reverse("duties:needs_action")
    listing = reverse("cases:list")
    rows = []
    for user, label in ((busiest, "busiest caseworker"), (typical, "typical caseworker"),
                        (supervisor, "supervisor")):
        client = pages.client_for(user)
        name = f"{label} ({open_of[user]:,} open cases)"
        rows.append((f"{name}, page 1", pages.time_page(client, url, args.runs)))
        if user == busiest:
            rows.append((f"{name}, page 10",
                         pages.time_page(client, f"{url}?page=10", args.runs)))
        rows.append((f"case list, {label}", pages.time_page(client, listing, args.runs)))
    pages.print_table(rows)
    for page, title in ((url, "Needs action"), (listing, "case list")):
        if args.plans:
            print(f"\n--- plans: {title}, busiest caseworker, page 1 ---\n"
                  f"{pages.slowest_plans(pages.client_for(busiest), page)}")
        if args.profile:
            print(f"\n--- profile: {title}, busiest caseworker, page 1 ---\n"
                  f"{pages.profile(pages.client_for(busiest), page, args.runs)}")


if __name__ == "__main__":
    main()
