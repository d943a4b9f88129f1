from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau import trustees
from qorgau.accounts import mfa_secrets
from qorgau.cases.keyrotation import rotate_all
from qorgau.crypto import generate_key
from qorgau.keys import new_age_identity
from qorgau.operations import custody, keywrap
from qorgau.operations.evidence_keys import rotate_files


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key of QORGAU_DATA_KEYS (and "
        "rebuild the name index), and every stored evidence and bundle file to the newest key "
        "of QORGAU_EVIDENCE_KEYS. Safe to run again after an interruption. Afterwards the "
        "older keys can be removed from the lists. With the keys wrapped (trustees, "
        "pkcs11), --new-kek makes new data and evidence keys, wraps them under a new "
        "key-encryption key with new shares, re-encrypts everything and keeps only the new "
        "keys (run it under `qorgau unlock`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--fields-only", action="store_true",
                          help="only the encrypted fields (data keys)")
        only.add_argument("--evidence-only", action="store_true",
                          help="only the stored evidence and bundle files (evidence keys)")
        parser.add_argument("--new-kek", action="store_true",
                            help="new data and evidence keys under a new key-encryption key, "
                                 "split into new shares (keys wrapped for trustees)")
        parser.add_argument("--threshold", type=int, default=2,
                            help="with --new-kek: how many shares open the keys")
        parser.add_argument("--shares", type=int, default=3,
                            help="with --new-kek: how many shares to make")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_kek"]:
            self._under_new_kek(options)
            return
        self._rotate(options)

    def _under_new_kek(self, options: dict[str, Any]) -> None:
        """New keys first written (beside the old ones) under the new KEK and its shares
        printed, so an interruption loses nothing; every other process drops the old keys
        (the trustees open it again with the new shares); everything re-encrypted; then
        only the new keys kept, under the same KEK (the printed shares stay valid)."""
        from qorgau.operations import hsm

        if not custody.trustee_custody():
            raise CommandError("--new-kek needs the keys wrapped (QORGAU_KEY_CUSTODY=trustees "
                               "or pkcs11); with keys on the server, add a new key to "
                               "QORGAU_DATA_KEYS and QORGAU_EVIDENCE_KEYS instead.")
        if options["fields_only"] or options["evidence_only"]:
            raise CommandError("--new-kek rotates both the fields and the stored files.")
        try:
            old = keywrap.current_keys()
        except keywrap.WrapError as exc:
            raise CommandError(str(exc)) from exc
        try:
            pin = hsm.ask_pin() if custody.hsm_custody() else None
        except hsm.HsmError as exc:
            raise CommandError(str(exc)) from exc
        data_key, evidence_key = generate_key(), new_age_identity()
        both = trustees.InstanceKeys([data_key, *old.data_keys],
                                     [evidence_key, *old.evidence_keys], old.signing_key)
        try:
            wrapping, kek = keywrap.write(both, options["threshold"], options["shares"], pin)
        except (keywrap.WrapError, hsm.HsmError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("New data and evidence keys are wrapped under a new key-encryption "
                          "key; the old shares no longer open them.")
        keywrap.print_shares(self.stdout, wrapping)
        self.stdout.write("\nIf this command is interrupted, run it again under `qorgau "
                          "unlock` with these shares.")
        custody.drop_keys()
        custody.new_generation()  # every other process drops the old keys
        custody.install(both)
        self._rotate(options)
        final = trustees.InstanceKeys([data_key], [evidence_key], old.signing_key)
        try:
            keywrap.write(final, options["threshold"], options["shares"], pin, kek=kek)
        except (keywrap.WrapError, hsm.HsmError) as exc:
            raise CommandError(str(exc)) from exc
        custody.install(final)
        keywrap.note("rotation", wrapping)
        self.stdout.write(self.style.SUCCESS(
            "OK: only the new keys are kept, under the new shares printed above; the "
            "instance is locked until the trustees enter them."))

    def _rotate(self, options: dict[str, Any]) -> None:
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
