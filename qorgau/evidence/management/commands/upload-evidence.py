import mimetypes
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.accounts.models import CASE_ROLES, User
from qorgau.cases.models import Case, Event
from qorgau.evidence import services


class Command(BaseCommand):
    help = "Store a file as an exhibit of a case (streamed, hashed, encrypted, on the ledger)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("file")
        parser.add_argument("--as", dest="email", required=True, help="the uploader")
        parser.add_argument("--title", default="")
        parser.add_argument("--captured", default="", help="capture date as claimed")
        parser.add_argument("--event", type=int, help="number of the event it supports")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"]).first()
        case = Case.objects.filter(reference=options["reference"]).first()
        if user is None or case is None or not case.assignments.filter(
                user=user, access="write", case__organisation__memberships__user=user,
                case__organisation__memberships__role__in=CASE_ROLES).exists():
            raise CommandError("no such case for that user (or the user may not record)")
        path = Path(options["file"])
        event = None
        if options["event"]:
            event = Event.objects.filter(case=case, number=options["event"]).first()
            if event is None:
                raise CommandError(f"no event {options['event']} in {case.reference}")
        try:
            with path.open("rb") as source, services.spooled(source) as fh:
                exhibit = services.ingest(case, user, services.Upload(
                    fh, path.name, mimetypes.guess_type(path.name)[0] or "",
                    options["title"], "", options["captured"], event))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"OK: exhibit {exhibit.number} sha256 {exhibit.blob.sha256} "
            f"({exhibit.blob.size} bytes, {exhibit.blob.media_type})"))
