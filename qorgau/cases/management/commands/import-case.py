"""import-case FILE [FILE ...] --org SLUG --as EMAIL [--jobs N] [--reference REF]: create a
case from each case file (qorgau.cases.bulk_import)."""

import functools
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from qorgau.accounts.models import Organisation, User
from qorgau.cases import bulk_import, casefile


def _read_file(name: str) -> bytes:
    with open(name, "rb") as handle:
        return handle.read()


class Command(BaseCommand):
    help = (
        "Validate case files (docs/case-file.md) and import each, all of it or nothing, as a "
        "new case, so the ledger records every write. A file that cannot be imported is "
        "reported with its problems and the others are imported; running the same command "
        "again imports only what failed before (the rest was already imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="+",
                            help="case files, or directories of them (*.json); '-' reads "
                                 "one from stdin")
        parser.add_argument("--org", required=True, metavar="SLUG",
                            help="organisation that will hold the cases")
        parser.add_argument("--as", dest="email", required=True, metavar="EMAIL",
                            help="staff member importing; becomes each case's first assignee")
        parser.add_argument("--reference", metavar="REF",
                            help="reference for the new case (one file only; default: a new "
                                 "random one)")
        parser.add_argument("--jobs", type=int, default=1, metavar="N",
                            help="processes sharing the files (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"], is_active=True).first()
        if user is None:
            raise CommandError(_("There is no active user with the email address %(email)s.")
                               % {"email": options["email"]})
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(_("There is no organisation %(slug)s.") % {"slug": options["org"]})
        names = self._names(options["file"])
        if options["reference"] and len(names) != 1:
            raise CommandError(_("--reference names the case of one file; give one file."))
        # One file is read at once (a file that cannot be read stops the command); many
        # are read as the batch comes to them (a migration's files need not fit in
        # memory), one that cannot be read named with the others that failed.
        files: list[tuple[str, Any]] = (
            [(names[0], self._read(names[0]))] if len(names) == 1
            else [(name, functools.partial(_read_file, name)) for name in names])
        started = time.perf_counter()
        try:
            if options["reference"]:
                result = self._with_reference(files[0], organisation, user,
                                              options["reference"])
            else:
                result = bulk_import.import_files(files, organisation, user,
                                                  jobs=max(1, options["jobs"]))
        except casefile.Refused as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        if len(files) == 1:
            self._one(result.files[0])
            return
        for outcome in result.files:
            if outcome.case is None:
                self.stderr.write(_("%(file)s: nothing was imported:") % {"file": outcome.name})
                for problem in outcome.problems:
                    self.stderr.write(f"  {problem}")
            elif options["verbosity"] >= 2:
                self.stdout.write(_("%(file)s: imported case %(reference)s.") % {
                    "file": outcome.name, "reference": outcome.case.reference})
        imported = result.imported
        events = sum(f.events for f in imported)
        self.stdout.write(_(
            "Imported %(imported)s of %(files)s case files: %(parties)s parties, %(events)s "
            "events in %(seconds).1f s (%(rate).0f events/s).") % {
            "imported": len(imported), "files": len(files),
            "parties": sum(f.parties for f in imported), "events": events,
            "seconds": seconds, "rate": events / seconds if seconds else 0})
        if result.failed:
            raise CommandError(_(
                "%(failed)s of %(files)s case files were not imported (each named above with "
                "its problems; nothing of them was written). Run the same command again once "
                "they are put right: the files already imported are refused as such.")
                % {"failed": len(result.failed), "files": len(files)})

    def _names(self, given: list[str]) -> list[str]:
        """The files given, a directory standing for its *.json files."""
        if "-" in given and len(given) > 1:
            raise CommandError(_("'-' (stdin) can only be the one file."))
        names: list[str] = []
        for name in given:
            path = Path(name)
            names += sorted(str(p) for p in path.glob("*.json")) if path.is_dir() else [name]
        if not names:
            raise CommandError(_("No case files found in %(files)s.")
                               % {"files": ", ".join(given)})
        return names

    def _read(self, name: str) -> bytes:
        if name == "-":
            return sys.stdin.buffer.read()
        try:
            return _read_file(name)
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(reason)s")
                               % {"file": name, "reason": exc.strerror}) from exc

    def _with_reference(self, file: tuple[str, bytes], organisation: Organisation, by: User,
                        reference: str) -> bulk_import.BatchResult:
        name, raw = file
        outcome = bulk_import.FileResult(name)
        try:
            document = casefile.loads(raw)
            outcome.case = casefile.import_case(document, organisation, by,
                                                reference=reference)
            outcome.parties, outcome.events = (len(document["parties"]),
                                               len(document["events"]))
        except casefile.AlreadyImported as exc:
            outcome.error = exc
        except casefile.CaseFileError as exc:
            outcome.error = exc
        return bulk_import.BatchResult([outcome])

    def _one(self, outcome: bulk_import.FileResult) -> None:
        """One file: its case, or its problems, as the command always said them."""
        if isinstance(outcome.error, casefile.CaseFileError):
            for problem in outcome.problems:
                self.stderr.write(problem)
            raise CommandError(
                _("Nothing was imported: %(count)s problem(s) in %(file)s.")
                % {"count": len(outcome.problems), "file": outcome.name})
        if outcome.error is not None or outcome.case is None:
            raise CommandError(str(outcome.error))
        self.stdout.write(self.style.SUCCESS(
            _("Imported case %(reference)s: %(parties)s parties, %(events)s events.") % {
                "reference": outcome.case.reference, "parties": outcome.parties,
                "events": outcome.events}
        ))
