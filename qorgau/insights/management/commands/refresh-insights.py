from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from qorgau.cases.models import Case
from qorgau.insights.services import refresh_cases, stale_cases


class Command(BaseCommand):
    help = (
        "Bring the accountability counts up to date. Writes keep them current; the calendar "
        "does not (a duty falls due unanswered with nobody writing), so run this daily, "
        "beside `remind`. --all recomputes every case (after an upgrade or a profile change)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--all", action="store_true", help="every case, not only stale ones")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = (Case.objects.exclude(status="erased").iterator() if options["all"]
                 else stale_cases())
        seen, changed = refresh_cases(cases)
        self.stdout.write(f"{seen} cases looked at, {changed} whose counts changed")
