from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.accounts import mfa_secrets
from qorgau.cases.keyrotation import rotate_all
from qorgau.operations.evidence_keys import rotate_files


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key of QORGAU_DATA_KEYS (and "
        "rebuild the name index), and every stored evidence and bundle file to the newest key "
        "of QORGAU_EVIDENCE_KEYS. Safe to run again after an interruption. Afterwards the "
        "older keys can be removed from the lists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--fields-only", action="store_true",
                          help="only the encrypted fields (data keys)")
        only.add_argument("--evidence-only", action="store_true",
                          help="only the stored evidence and bundle files (evidence keys)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["evidence_only"]:
            for label, count in rotate_all().items():
                self.stdout.write(f"{label}: {count} rows re-encrypted")
            count = mfa_secrets.rotate_all()
            self.stdout.write(f"authenticators (second factor): {count} re-encrypted")
            self.stdout.write(self.style.SUCCESS("OK: all encrypted fields use the newest key"))
        if options["fields_only"]:
            return
        report = rotate_files()
        self.stdout.write(f"stored files: {report.rotated} re-encrypted, {report.current} "
                          "already under the newest key")
        for problem in report.failed:
            self.stderr.write(f"FAILED: {problem}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} stored files could not be re-encrypted; "
                               "keep the older evidence keys until they are")
        self.stdout.write(self.style.SUCCESS(
            "OK: every stored file opens with the newest evidence key"))
