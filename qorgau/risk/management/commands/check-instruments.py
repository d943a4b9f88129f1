from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.risk import instruments
from qorgau.risk.services import instruments_dir


class Command(BaseCommand):
    help = "Validate the risk instrument files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="folder to check instead of the configured one")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"]) if options["dir"] else instruments_dir()
        try:
            loaded = instruments.load_all(directory)
        except instruments.InstrumentError as exc:
            raise CommandError(f"instrument error: {exc}") from exc
        for iid, inst in loaded.items():
            kind = "text included" if inst.text_included else "licensed: scoring rules only"
            self.stdout.write(f"{iid}: {len(inst.items)} items, {len(inst.levels)} levels "
                              f"({kind})")
        self.stdout.write(self.style.SUCCESS(f"OK: {len(loaded)} instruments"))
