"""checkpoint: sign the current head of every case's ledger as the next checkpoint."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.cases import merkle
from qorgau.cases.checkpoints import CheckpointError, create_checkpoint, current_heads
from qorgau.cases.models import Checkpoint


class Command(BaseCommand):
    help = ("Sign a Merkle root over the ledger head of every case, chained to the checkpoints "
            "before it, with the instance key. Export the result to a witness organisation "
            "with export-checkpoints.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-changed", action="store_true",
                            help="sign only when a case's ledger moved since the last "
                                 "checkpoint (for an hourly timer)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_changed"]:
            last = Checkpoint.objects.order_by("-number").values_list(
                "number", "heads_root").first()
            if last and merkle.heads_root(current_heads()).hex() == last[1]:
                self.stdout.write(f"unchanged since checkpoint {last[0]}: nothing to sign")
                return
        try:
            checkpoint = create_checkpoint()
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"checkpoint {checkpoint.number}: {checkpoint.case_count} cases, "
            f"heads root {checkpoint.heads_root}, log root {checkpoint.log_root}"))
