"""Wrap the data, evidence and signing keys for trustees, or split them anew among new
trustees (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau import trustees
from qorgau.keys import PLAIN_KEY_FILES, WRAPPED_KEYS_FILE
from qorgau.operations import custody, keywrap


def hsm_pin() -> str:
    from qorgau.operations import hsm

    try:
        return hsm.ask_pin()
    except hsm.HsmError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = ("Wrap this instance's data, evidence and signing keys under a new key-encryption "
            "key, write only the wrapped keys to the data folder, and print that key split "
            "into --shares shares of which any --threshold open it. Give each share to one "
            "trustee; afterwards set QORGAU_KEY_CUSTODY=trustees (pkcs11 with --hsm) and "
            "remove the keys from the environment. With --resplit (run under `qorgau "
            "unlock`), wrap the same keys under a new key-encryption key for new trustees: "
            "the old shares stop opening them, no data is encrypted again.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threshold", type=int, default=2)
        parser.add_argument("--shares", type=int, default=3)
        parser.add_argument("--resplit", action="store_true",
                            help="new trustees for the keys that are open in this process "
                                 "(`qorgau unlock wrap-keys --resplit`)")
        parser.add_argument("--hsm", action="store_true",
                            help="also seal the key-encryption key by the hardware security "
                                 "module (QORGAU_PKCS11_*), for QORGAU_KEY_CUSTODY=pkcs11")

    def handle(self, *args: Any, **options: Any) -> None:
        mode = getattr(settings, "QORGAU_KEY_CUSTODY", "server")
        if options["resplit"]:
            if not custody.trustee_custody():
                raise CommandError("--resplit needs the keys wrapped (QORGAU_KEY_CUSTODY="
                                   "trustees or pkcs11); wrap them first with `wrap-keys`.")
            self._resplit(options, seal=options["hsm"] or mode == "pkcs11")
            return
        if mode != "server":
            raise CommandError("The keys are already wrapped; to give them to new trustees "
                               "use `qorgau unlock wrap-keys --resplit`.")
        data_dir = Path(settings.DATA_DIR)
        target = data_dir / WRAPPED_KEYS_FILE
        if target.exists():
            raise CommandError(f"{target} already exists; move it away first.")
        keys = trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                     list(settings.QORGAU_EVIDENCE_KEYS),
                                     settings.QORGAU_SIGNING_KEY)
        pin = hsm_pin() if options["hsm"] else None
        wrapping = self._write(keys, options, pin)
        removed = []
        for name in PLAIN_KEY_FILES:
            path = data_dir / name
            if path.exists():
                path.unlink()
                removed.append(name)
        out = self.stdout
        out.write(f"Wrapped keys written to {target}"
                  + (" (the key-encryption key also sealed by the hardware security module)."
                     if pin else "."))
        if removed:
            out.write(f"Removed from the data folder: {', '.join(removed)}.")
        keywrap.print_shares(out, wrapping)
        out.write(f"\nNext: set QORGAU_KEY_CUSTODY={'pkcs11' if pin else 'trustees'}, remove "
                  "QORGAU_DATA_KEYS, QORGAU_EVIDENCE_KEYS and QORGAU_SIGNING_KEY from the "
                  "environment, restart, and let the trustees unlock at /unlock/.")

    def _write(self, keys: trustees.InstanceKeys, options: dict[str, Any],
               pin: str | None) -> keywrap.Wrapping:
        from qorgau.operations import hsm

        try:
            wrapping, _kek = keywrap.write(keys, options["threshold"], options["shares"], pin)
        except (keywrap.WrapError, hsm.HsmError) as exc:
            raise CommandError(str(exc)) from exc
        return wrapping

    def _resplit(self, options: dict[str, Any], seal: bool) -> None:
        try:
            keys = keywrap.current_keys()
        except keywrap.WrapError as exc:
            raise CommandError(str(exc)) from exc
        pin = hsm_pin() if seal else None
        wrapping = self._write(keys, options, pin)
        keywrap.note("resplit", wrapping)
        self.stdout.write(f"The same keys are wrapped under a new key-encryption key in "
                          f"{wrapping.path}; the old shares no longer open them. Nothing was "
                          "encrypted again.")
        keywrap.print_shares(self.stdout, wrapping)
        self.stdout.write("\nDestroy every copy of the old wrapped_keys.json kept off the "
                          "server (with the old shares it still opens these keys) and keep "
                          "a copy of the new one instead.")
