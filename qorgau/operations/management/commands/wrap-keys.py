"""Wrap the data, evidence and signing keys for trustees (docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau import trustees
from qorgau.keys import PLAIN_KEY_FILES, WRAPPED_KEYS_FILE


class Command(BaseCommand):
    help = ("Wrap this instance's data, evidence and signing keys under a new key-encryption "
            "key, write only the wrapped keys to the data folder, and print that key split "
            "into --shares shares of which any --threshold open it. Give each share to one "
            "trustee; afterwards set QORGAU_KEY_CUSTODY=trustees and remove the keys from "
            "the environment.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threshold", type=int, default=2)
        parser.add_argument("--shares", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "QORGAU_KEY_CUSTODY", "server") != "server":
            raise CommandError("The keys are already wrapped for trustees.")
        data_dir = Path(settings.DATA_DIR)
        target = data_dir / WRAPPED_KEYS_FILE
        if target.exists():
            raise CommandError(f"{target} already exists; move it away first.")
        keys = trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                     list(settings.QORGAU_EVIDENCE_KEYS),
                                     settings.QORGAU_SIGNING_KEY)
        kek = trustees.new_kek()
        try:
            shares = trustees.split(kek, options["threshold"], options["shares"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        document = trustees.wrap(keys, kek)
        # Prove the shares open what is written before anything is removed.
        if trustees.unwrap(document, trustees.combine(shares[:options["threshold"]])) != keys:
            raise CommandError("The wrapped keys did not open again; nothing was changed.")
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.write_text(document)
        target.chmod(0o600)
        removed = []
        for name in PLAIN_KEY_FILES:
            path = data_dir / name
            if path.exists():
                path.unlink()
                removed.append(name)
        out = self.stdout
        out.write(f"Wrapped keys written to {target}.")
        if removed:
            out.write(f"Removed from the data folder: {', '.join(removed)}.")
        out.write(f"Any {options['threshold']} of these {len(shares)} shares open the keys. "
                  "Give one to each trustee, on paper, and keep no copy here:")
        for i, share in enumerate(shares, 1):
            out.write(f"\nshare {i}:\n{share}")
        out.write("\nNext: set QORGAU_KEY_CUSTODY=trustees, remove QORGAU_DATA_KEYS, "
                  "QORGAU_EVIDENCE_KEYS and QORGAU_SIGNING_KEY from the environment, restart, "
                  "and let the trustees unlock at /unlock/.")
