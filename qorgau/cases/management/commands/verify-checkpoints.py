"""verify-checkpoints [--against FILE]: check the checkpoint log and that no case was rewritten."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.cases.checkpoints import CheckpointError, verify_checkpoints
from qorgau.cases.models import Checkpoint


class Command(BaseCommand):
    help = ("Check every stored checkpoint's signature, heads root and place in the checkpoint "
            "log, and that each case head a checkpoint recorded is still in the ledger "
            "unchanged. With --against FILE (a witness's export), also check that the "
            "witness's checkpoints are stored here unchanged and that the log extends them.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--against", metavar="FILE",
                            help="a witness organisation's copy (from export-checkpoints)")

    def handle(self, *args: Any, **options: Any) -> None:
        exported = None
        if options["against"]:
            try:
                exported = json.loads(Path(options["against"]).read_text(encoding="utf-8"))
            except OSError as exc:
                raise CommandError(f"Cannot read {options['against']}: {exc.strerror}") from exc
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CommandError(f"{options['against']} is not JSON: {exc}") from exc
        try:
            problems = verify_checkpoints(exported)
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        for problem in problems:
            self.stderr.write(f"BROKEN: {problem}")
        count = Checkpoint.objects.count()
        summary = f"{count} checkpoint{'' if count == 1 else 's'} checked"
        if isinstance(exported, dict) and isinstance(exported.get("checkpoints"), list):
            summary += f" against the {len(exported['checkpoints'])} the witness holds"
        if problems:
            raise CommandError(f"{summary}, {len(problems)} problems")
        self.stdout.write(self.style.SUCCESS(f"OK: {summary}"))
