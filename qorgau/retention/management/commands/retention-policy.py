from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.retention import services
from qorgau.retention.management.options import organisation_option
from qorgau.retention.models import RetentionPolicy


class Command(BaseCommand):
    help = ("Show or set an organisation's retention period in months. Cases already closed "
            "keep the date they were given.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="short name (slug) of the organisation")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--months", type=int, help="the organisation's own period")
        group.add_argument("--default", action="store_true",
                           help="use the instance's QORGAU_RETENTION_MONTHS again")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = organisation_option(options["organisation"])
        assert organisation is not None
        try:
            if options["months"] is not None:
                services.set_policy(organisation, options["months"])
            elif options["default"]:
                services.set_policy(organisation, None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        own = RetentionPolicy.objects.filter(organisation=organisation).exists()
        source = "its own" if own else "the instance default"
        self.stdout.write(f"{organisation.slug}: {services.period_months(organisation)} "
                          f"months ({source})")
