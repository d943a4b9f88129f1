"""checkpoint: sign the current head of every case's ledger as the next checkpoint."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.cases.checkpoints import CheckpointError, create_checkpoint


class Command(BaseCommand):
    help = ("Sign a Merkle root over the ledger head of every case, chained to the checkpoints "
            "before it, with the instance key. Export the result to a witness organisation "
            "with export-checkpoints.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = create_checkpoint()
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"checkpoint {checkpoint.number}: {checkpoint.case_count} cases, "
            f"heads root {checkpoint.heads_root}, log root {checkpoint.log_root}"))
