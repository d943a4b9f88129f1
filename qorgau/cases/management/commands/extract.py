"""`qorgau extract FILE [--lang ru|kk|en] [--json]`: proposed events from a narrative (issue 31).

Reads a plain UTF-8 text file and prints what `qorgau.intake.extract` proposes; records
nothing. Messages are in English for now (like the other commands).
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.intake.extract import LANGUAGES, UnsupportedLanguage, propose

MAX_BYTES = 1_000_000  # about 400 pages of text: more than any one statement


def read_text(path: Path) -> str:
    """The file's text, or a CommandError saying plainly why not."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    if size > MAX_BYTES:
        raise CommandError(f"{path} is {size} bytes; the limit is {MAX_BYTES} bytes "
                           f"({MAX_BYTES // 1000} kB): split the text")
    data = path.read_bytes()
    if b"\x00" in data:
        raise CommandError(f"{path} is a binary file, not plain text (DOCX and PDF are not "
                           "read yet: save it as plain text)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text (byte {exc.start} cannot be read)") from exc
    if not text.strip():
        raise CommandError(f"{path} is empty: there is no text to read")
    return text


class Command(BaseCommand):
    help = "Propose events (kind, when, institution, source sentence) from a narrative text file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="plain text, UTF-8")
        parser.add_argument("--lang", choices=LANGUAGES,
                            help="language of the text (detected when not given)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        text = read_text(options["file"])
        try:
            proposals = propose(text, options["lang"])
        except UnsupportedLanguage as exc:
            raise CommandError(
                f"{exc}; give --lang ru, kk or en for a text in one of them") from exc
        if options["json"]:
            self.stdout.write(json.dumps([p.as_dict() for p in proposals], ensure_ascii=False,
                                         indent=2))
            return
        for p in proposals:
            when = p.span().format()
            extra = f", {p.institution}" if p.institution else ""
            if p.reported_to:
                extra += f", reported to {p.reported_to}"
            self.stdout.write(f"{p.start}-{p.end}  {p.kind}  [{when}{extra}]")
            self.stdout.write(f"    {p.sentence}")
        self.stdout.write(f"{len(proposals)} proposals; nothing recorded.")
