from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.evidence import services


class Command(BaseCommand):
    help = "Remove what interrupted uploads left behind; list stored objects with no record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=int, default=services.LEFTOVER_AGE,
                            help="seconds after which a temporary file is abandoned")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = services.clean_leftovers(options["max_age"])
        orphans = services.orphans()
        for name in orphans:
            self.stdout.write(f"stored object without a record: {name}")
        self.stdout.write(self.style.SUCCESS(
            f"OK: {removed} temporary files removed, {len(orphans)} orphaned objects"))
