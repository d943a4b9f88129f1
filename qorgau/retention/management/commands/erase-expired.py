from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.retention import policy, services
from qorgau.retention.management.options import organisation_option


class Command(BaseCommand):
    help = ("Erase closed cases past their retention period and not under legal hold. "
            "A dry run unless --confirm is given.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--confirm", action="store_true",
                            help="really erase (without it, only list what would be erased)")
        parser.add_argument("--organisation", help="short name (slug) of one organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        due = services.due_cases(organisation=organisation_option(options["organisation"]))
        if not options["confirm"]:
            for case, clock in due:
                self.stdout.write(f"would erase {case.reference} "
                                  f"(kept until {clock.retain_until.isoformat()})")
            self.stdout.write(f"dry run: {len(due)} cases due; nothing erased "
                              "(run with --confirm to erase)")
            return
        failed = 0
        for case, _clock in due:
            try:
                counts = services.erase_case(case, None, policy.RETENTION_ENDED)
            except ValidationError as exc:  # e.g. put on hold since the list was made
                failed += 1
                self.stderr.write(f"not erased {case.reference}: {' '.join(exc.messages)}")
                continue
            self.stdout.write(f"erased {case.reference}: {sum(counts.values())} records")
        self.stdout.write(f"{len(due) - failed} cases erased")
        if failed:
            raise CommandError(f"{failed} cases were not erased")
