"""export-case REF --as EMAIL [--grant ID] [--output FILE]: write one case as a portable
case file, under the survivor's consent to a transfer."""

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import casefile


class Command(BaseCommand):
    help = (
        "Write case REF as JSON (docs/case-file.md). The file holds decrypted personal data; "
        "it needs the survivor's valid consent to a transfer (--grant ID, or the valid one "
        "that covers it), and the export is recorded on the case's ledger under the --as "
        "user with the grant."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", nargs="?", help="reference of the case to export")
        parser.add_argument("--as", dest="email", metavar="EMAIL",
                            help="staff member doing the export; must be assigned to the case")
        parser.add_argument("--grant", type=int, metavar="ID",
                            help="the consent grant (purpose: transfer) the export is made under")
        parser.add_argument("--output", "-o", metavar="FILE",
                            help="write to FILE (created with mode 0600) instead of stdout")
        parser.add_argument("--write-schema", metavar="FILE",
                            help="write the case-file JSON Schema to FILE and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["write_schema"]:
            casefile.write_schema(options["write_schema"])
            return
        if not options["reference"]:
            raise CommandError(_("Name the case to export."))
        if not options["email"]:
            raise CommandError(_("Name the staff member doing the export with --as EMAIL."))
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active user with the email address %(email)s.")
                               % {"email": options["email"]})
        try:
            document = casefile.export_case(options["reference"], user, options["grant"])
        except casefile.Refused as exc:
            raise CommandError(str(exc)) from exc
        text = casefile.dumps(document)
        output = options["output"]
        if output in (None, "-"):
            self.stdout.write(text, ending="")
            return
        write_private(output, text)
        self.stderr.write(_("Wrote case %(reference)s to %(file)s. It contains personal data: "
                            "keep it safe and delete it when done.")
                          % {"reference": options["reference"], "file": output})


def write_private(path: str, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (also when it already exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        if sys.platform != "win32":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
    finally:
        if fd >= 0:
            os.close(fd)
