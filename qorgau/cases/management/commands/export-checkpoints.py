"""export-checkpoints [--out FILE] [--after N]: checkpoints as JSON for a witness to keep."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.cases.checkpoints import CheckpointError, export_checkpoints


class Command(BaseCommand):
    help = ("Write the signed checkpoints (roots, signatures and the public key; no case data) "
            "as JSON for a witness organisation. With --after N, only the newer ones, and a "
            "consistency proof that the log extends checkpoint N.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", "-o", metavar="FILE", help="write to FILE, not stdout")
        parser.add_argument("--after", type=int, metavar="N", default=None,
                            help="only checkpoints numbered above N (the witness's newest)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["after"] is not None and options["after"] < 0:
            raise CommandError("--after takes a checkpoint number (0 or more).")
        try:
            document = export_checkpoints(after=options["after"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        if options["out"] in (None, "-"):
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["out"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {options['out']}: {exc.strerror}") from exc
        count = len(document["checkpoints"])
        self.stderr.write(f"Wrote {count} checkpoint{'' if count == 1 else 's'} to "
                          f"{options['out']}.")
