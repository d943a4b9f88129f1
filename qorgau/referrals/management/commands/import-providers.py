from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from qorgau.referrals import services


class Command(BaseCommand):
    help = ("Import service providers from a CSV file (UTF-8, a header row; see "
            "docs/referrals.md). All rows or none: any error is reported by row and column "
            "and nothing is written. Providers are matched by name.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The CSV file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = Path(options["path"]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {options['path']}: {exc}") from exc
        try:
            result = services.import_providers(text)
        except ValidationError as exc:
            raise CommandError("Nothing imported.\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"Providers: {result.created} created, {result.updated} updated.")
