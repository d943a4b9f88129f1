"""Panic lock from the command line (trustee custody)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.operations import custody


class Command(BaseCommand):
    help = ("Lock the instance at once: every session and API token revoked, every process "
            "drops its keys at its next request. It opens again only with the trustees' "
            "shares.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not custody.trustee_custody():
            raise CommandError("Locking needs QORGAU_KEY_CUSTODY=trustees: with the keys on "
                               "the server there is nothing to drop.")
        generation = custody.lock("command")
        self.stdout.write(f"Locked (lock {generation}): sessions and tokens revoked.")
