"""import-case FILE --org SLUG --as EMAIL [--reference REF]: create a case from a case file."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qorgau.accounts.models import Organisation, User
from qorgau.cases import casefile


class Command(BaseCommand):
    help = (
        "Validate a case file (docs/case-file.md) and import all of it as a new case through "
        "the service functions, so the ledger records every write, or import nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="case file to import ('-' reads stdin)")
        parser.add_argument("--org", required=True, metavar="SLUG",
                            help="organisation that will hold the case")
        parser.add_argument("--as", dest="email", required=True, metavar="EMAIL",
                            help="staff member importing; becomes the case's first assignee")
        parser.add_argument("--reference", metavar="REF",
                            help="reference for the new case (default: a new random one)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active user with the email address %(email)s.")
                               % {"email": options["email"]})
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(_("There is no organisation %(slug)s.") % {"slug": options["org"]})
        try:
            if options["file"] == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(options["file"], "rb") as handle:
                    raw = handle.read()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(reason)s")
                               % {"file": options["file"], "reason": exc.strerror}) from exc
        try:
            document = casefile.loads(raw)
            case = casefile.import_case(document, organisation, user,
                                        reference=options["reference"])
        except casefile.Refused as exc:
            raise CommandError(str(exc)) from exc
        except casefile.CaseFileError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("Nothing was imported: %(count)s problem(s) in %(file)s.")
                % {"count": len(exc.problems), "file": options["file"]}
            ) from exc
        self.stdout.write(self.style.SUCCESS(
            _("Imported case %(reference)s: %(parties)s parties, %(events)s events.") % {
                "reference": case.reference, "parties": len(document["parties"]),
                "events": len(document["events"])}
        ))
