"""restore FILE [--identity FILE]: bring a backup back into a new, empty instance."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.keys import ConfigurationError, read_identities
from qorgau.operations.backup import BackupError, default_identity_file, restore_backup


def _identities(option: str | None) -> list[str]:
    env = os.environ.get("QORGAU_BACKUP_IDENTITY", "").strip()
    if option:
        source = Path(option)
    elif env.startswith("AGE-SECRET-KEY-1"):
        return read_identities(env.replace(",", "\n"))
    elif env:
        source = Path(env)
    elif settings.MODE == "development" and default_identity_file().exists():
        source = default_identity_file()
    else:
        raise CommandError("The backup identity is needed: --identity FILE, or "
                           "QORGAU_BACKUP_IDENTITY (the key or the file holding it).")
    try:
        return read_identities(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"Cannot read the identity file {source}: {exc.strerror}") from exc
    except (ConfigurationError, UnicodeDecodeError) as exc:
        raise CommandError(f"{source} is not an age identity file: {exc}") from exc


class Command(BaseCommand):
    help = ("Restore a backup into this instance, whose database must be migrated and empty. "
            "Every member is checked against the manifest and the whole is loaded in one "
            "transaction; cases and checkpoints are verified before it commits. On any "
            "problem nothing is kept.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", metavar="FILE")
        parser.add_argument("--identity", metavar="FILE",
                            help="the age identity file that opens backups "
                                 "(or QORGAU_BACKUP_IDENTITY)")
        parser.add_argument("--skip-damaged", action="store_true",
                            help="leave out evidence files that are damaged, restore the "
                                 "rest, and list what was left out")

    def handle(self, *args: Any, **options: Any) -> None:
        identities = _identities(options["identity"])
        try:
            manifest = restore_backup(Path(options["archive"]), identities,
                                      skip_damaged=options["skip_damaged"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise CommandError(f"There is no file {options['archive']}.") from exc
        rows = sum(manifest["counts"]["rows"].values())
        for skipped in manifest["skipped"]:
            self.stderr.write(f"NOT RESTORED: {skipped}")
        if manifest["skipped"]:
            self.stderr.write(
                f"{len(manifest['skipped'])} damaged file(s) were left out; their records are "
                "kept and `verify --evidence` names them as missing until they are put back "
                "from another copy.")
        self.stdout.write(self.style.SUCCESS(
            f"OK: restored the backup of {manifest['created_at']}: {rows} rows and "
            f"{manifest['counts']['files']} stored files; every case and checkpoint verifies"))
