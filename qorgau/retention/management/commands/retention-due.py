from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.retention import services
from qorgau.retention.management.options import organisation_option


class Command(BaseCommand):
    help = ("List closed cases past their retention period and not under legal hold "
            "(references and dates only, no personal data).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", help="short name (slug) of one organisation")

    def handle(self, *args: Any, **options: Any) -> None:
        due = services.due_cases(organisation=organisation_option(options["organisation"]))
        for case, clock in due:
            self.stdout.write(f"{case.reference}  {case.organisation.slug}  "
                              f"closed {clock.closed_on.isoformat()}  "
                              f"kept until {clock.retain_until.isoformat()}")
        self.stdout.write(f"{len(due)} cases due for erasure")
