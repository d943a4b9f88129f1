from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.crypto import generate_key
from qorgau.keys import age_public_key, new_age_identity, new_signing_key_pem


class Command(BaseCommand):
    help = ("Print a new key: by default a field-encryption key to put first in "
            "QORGAU_DATA_KEYS; --evidence an age identity for QORGAU_EVIDENCE_KEYS; --signing "
            "an Ed25519 key for QORGAU_SIGNING_KEY; --backup an age key pair (the public key "
            "for QORGAU_BACKUP_RECIPIENTS, the identity to keep offline).")

    def add_arguments(self, parser: CommandParser) -> None:
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--evidence", action="store_true")
        kind.add_argument("--signing", action="store_true")
        kind.add_argument("--backup", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["evidence"]:
            self.stdout.write(new_age_identity())
        elif options["signing"]:
            self.stdout.write(new_signing_key_pem())
        elif options["backup"]:
            identity = new_age_identity()
            self.stdout.write(f"# public key: {age_public_key(identity)}\n{identity}")
        else:
            self.stdout.write(generate_key())
