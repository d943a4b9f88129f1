from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.cases.models import Case
from qorgau.duties import services


class Command(BaseCommand):
    help = ("Re-derive every case's obligations (after a profile change); changes go on the "
            "ledger. Prints its progress; an interrupted run resumes with --after.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", help="only cases under this profile")
        parser.add_argument("--after", type=int, default=0, metavar="CASE_ID",
                            help="resume: only cases after this id (from a progress line)")
        parser.add_argument("--every", type=int, default=1000, metavar="N",
                            help="a progress line every N cases (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.exclude(status=Case.Status.ERASED).filter(
            pk__gt=options["after"]).order_by("pk")
        if options["profile"]:
            cases = cases.filter(profile=options["profile"])
        todo = cases.count()
        total = changed = 0
        for case in cases.select_related("organisation").iterator(chunk_size=500):
            total += 1
            changed += services.recompute(case)
            if total % options["every"] == 0:
                self.stdout.write(f"{total}/{todo} cases, {changed} changed; "
                                  f"resume with --after {case.pk}", ending="\n")
                self.stdout.flush()
        self.stdout.write(self.style.SUCCESS(
            f"OK: {total} cases recomputed, {changed} changed"))
