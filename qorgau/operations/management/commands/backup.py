"""backup --output FILE: one encrypted archive of the database and the stored evidence."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.operations.backup import BackupError, write_backup


class Command(BaseCommand):
    help = ("Write one archive of the database (every table) and every stored evidence and "
            "bundle file, encrypted with age to QORGAU_BACKUP_RECIPIENTS. The file is written "
            "whole or not at all, readable by its owner only.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, metavar="FILE",
                            help="where to write the archive (e.g. qorgau-2026-11-25.tar.age)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = write_backup(Path(options["output"]), settings.QORGAU_BACKUP_RECIPIENTS)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"Cannot write {options['output']}: {exc}") from exc
        rows = sum(manifest["counts"]["rows"].values())
        self.stdout.write(self.style.SUCCESS(
            f"OK: {options['output']}: {rows} rows, {manifest['counts']['files']} stored "
            f"files ({manifest['counts']['file_bytes']} bytes), "
            f"{len(manifest['members'])} members, each with its SHA-256 in the manifest"))
