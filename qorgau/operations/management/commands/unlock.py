"""Enter trustees' shares on the command line (trustee custody)."""

from __future__ import annotations

import argparse
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
            "server's processes are unlocked at /unlock/. With the key agent running "
            "(`qorgau key-agent`), the shares go to it and open every process of the "
            "instance, and while it holds the keys no share is asked. With --hsm "
            "(QORGAU_KEY_CUSTODY=pkcs11), a person enters the hardware security module's "
            "PIN instead, which also lets processes with the PIN file open the keys again "
            "after a panic lock.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hsm", action="store_true",
                            help="open the keys through the hardware security module: the "
                                 "PIN is asked (or read from standard input), never the file")
        parser.add_argument("command", nargs=argparse.REMAINDER,
                            help="a command and its options to run with the keys open")

    def handle(self, *args: Any, **options: Any) -> None:
        if not custody.trustee_custody():
            raise CommandError("Unlocking needs QORGAU_KEY_CUSTODY=trustees or pkcs11.")
        if options["hsm"]:
            self._hsm()
        elif custody.hsm_custody() and not custody.locked():
            self.stdout.write("Opened through the hardware security module (the PIN file).")
        elif not custody.locked():  # taken from the key agent: the instance is open
            self.stdout.write("The key agent holds the keys: the instance is open.")
        else:
            self._shares()
        self.stdout.write("The keys are open in this process.")
        if options["command"]:
            custody.exit_on_lock = True  # a panic lock ends the command, keys and all
            call_command(*options["command"], stdout=self.stdout._out,
                         stderr=self.stderr._out)

    def _hsm(self) -> None:
        from qorgau.operations import hsm

        if not custody.hsm_custody():
            raise CommandError("--hsm needs QORGAU_KEY_CUSTODY=pkcs11.")
        try:
            keys = hsm.open_keys(hsm.ask_pin(from_file=False))
        except (hsm.HsmError, custody.ShareError) as exc:
            raise CommandError(f"The keys stay locked: {exc}") from exc
        custody.install(keys)
        hsm.allow_automatic_opening()
        self.stdout.write("The PIN opened the keys; processes with the PIN file open them "
                          "again by themselves (until the next panic lock).")

    def _shares(self) -> None:
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
