from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.cases.models import Case
from qorgau.duties import services


class Command(BaseCommand):
    help = "Re-derive every case's obligations (after a profile change); changes go on the ledger."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", help="only cases under this profile")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.exclude(status=Case.Status.ERASED).order_by("pk")
        if options["profile"]:
            cases = cases.filter(profile=options["profile"])
        total = changed = 0
        for case in cases.select_related("organisation").iterator(chunk_size=500):
            total += 1
            changed += services.recompute(case)
        self.stdout.write(self.style.SUCCESS(
            f"OK: {total} cases recomputed, {changed} changed"))
