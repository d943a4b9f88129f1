"""Enter trustees' shares on the command line (trustee custody)."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.operations import custody


class Command(BaseCommand):
    help = ("Read trustees' shares (one per line from standard input, or asked one by one) "
            "until enough are in, and open the keys in this process only. With a command "
            "after the shares' check, run it with the keys open (e.g. `qorgau unlock "
            "db_worker`, `qorgau unlock backup`); without one, only check the shares. A web "
            "server's processes are unlocked at /unlock/.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("command", nargs="*", help="a command to run with the keys open")

    def handle(self, *args: Any, **options: Any) -> None:
        if not custody.trustee_custody():
            raise CommandError("Unlocking needs QORGAU_KEY_CUSTODY=trustees.")
        interactive = sys.stdin.isatty()
        remaining = 1
        while remaining:
            share = (getpass.getpass("Share: ") if interactive
                     else sys.stdin.readline())
            if not share:
                raise CommandError("Not enough shares were given; the keys stay locked.")
            if not share.strip():
                continue
            try:
                remaining = custody.add_share(share)
            except custody.ShareError as exc:
                if not interactive:
                    raise CommandError(f"Share refused: {exc}") from exc
                self.stderr.write(f"Share refused: {exc}")
                continue
            if remaining:
                self.stdout.write(f"Share accepted; {remaining} more needed.")
        self.stdout.write("The keys are open in this process.")
        if options["command"]:
            custody.exit_on_lock = True  # a panic lock ends the command, keys and all
            call_command(*options["command"])
