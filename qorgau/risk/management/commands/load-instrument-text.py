from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.accounts.models import Organisation
from qorgau.risk import services


class Command(BaseCommand):
    help = ("Load the item texts of a licensed instrument (DASH, Danger Assessment, Lethality "
            "Screen) for one organisation that holds the licence. FILE: YAML, item id -> "
            "{en, ru, kk}.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instrument")
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="organisation slug")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"no organisation {options['org']!r}")
        try:
            texts = yaml.safe_load(Path(options["file"]).read_text("utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise CommandError(f"{options['file']}: not valid YAML: {exc}") from exc
        try:
            row = services.load_licensed_text(organisation, options["instrument"], texts)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"OK: {len(row.texts)} item texts of {row.instrument} loaded for "
            f"{organisation.slug}"))
