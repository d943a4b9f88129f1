"""Writing the wrapped keys file: the first wrapping (`wrap-keys`), a re-split among new
trustees (`wrap-keys --resplit`) and a rotation under a new key-encryption key
(`rotate-keys --new-kek`). Each time a new KEK: the shares of the one before no longer
open the file on this server (docs/security.md, "Trustees change")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from qorgau import trustees
from qorgau.keys import WRAPPED_KEYS_FILE

REWRAPPED_NOTE = "note.keys_rewrapped"


class WrapError(RuntimeError):
    pass


@dataclass(frozen=True)
class Wrapping:
    shares: list[str]
    threshold: int
    path: Path
    hsm: bool


def current_keys() -> trustees.InstanceKeys:
    """The keys this process holds (in trustee custody: opened by `qorgau unlock`)."""
    if not settings.QORGAU_DATA_KEYS:
        raise WrapError("The keys are not open in this process: run it under `qorgau unlock` "
                        "(the trustees' shares), e.g. `qorgau unlock wrap-keys --resplit`.")
    return trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                 list(settings.QORGAU_EVIDENCE_KEYS),
                                 settings.QORGAU_SIGNING_KEY)


def write(keys: trustees.InstanceKeys, threshold: int, count: int,
          hsm_pin: str | None = None, kek: bytes | None = None) -> tuple[Wrapping, bytes]:
    """Wrap `keys` under `kek` (a new one unless given), split it, seal it by the hardware
    security module when a PIN is given, prove that the shares (and the token) open what
    is about to be written, and replace the file in one step. Returns the wrapping and the
    KEK (kept only in memory, for a second wrapping under the same shares)."""
    kek = kek or trustees.new_kek()
    try:
        shares = trustees.split(kek, threshold, count)
    except ValueError as exc:
        raise WrapError(str(exc)) from exc
    document = trustees.wrap(keys, kek)
    if hsm_pin is not None:
        from qorgau.operations import hsm

        document = hsm.seal(document, kek, hsm_pin)
        if hsm.unseal_kek(document, hsm_pin) != kek:
            raise WrapError("The hardware security module did not give the key back; "
                            "nothing was changed.")
    if trustees.unwrap(document, trustees.combine(shares[:threshold])) != keys:
        raise WrapError("The wrapped keys did not open again; nothing was changed.")
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = data_dir / WRAPPED_KEYS_FILE
    tmp = target.with_name(f".{WRAPPED_KEYS_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(document)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return Wrapping(shares, threshold, target, hsm_pin is not None), kek


def note(how: str, wrapping: Wrapping, by: Any = None, **detail: Any) -> None:
    """A note on every organisation's ledger: the keys were wrapped anew (never a share)."""
    from qorgau.accounts import orgledger
    from qorgau.accounts.models import Organisation

    with transaction.atomic():
        for org_id in Organisation.objects.order_by("pk").values_list("pk", flat=True):
            orgledger.append(org_id, by, REWRAPPED_NOTE, "instance", detail={
                "how": how, "threshold": wrapping.threshold, "shares": len(wrapping.shares),
                "hsm": wrapping.hsm, **detail})


def print_shares(out: Any, wrapping: Wrapping) -> None:
    out.write(f"Any {wrapping.threshold} of these {len(wrapping.shares)} shares open the "
              "keys. Give one to each trustee, on paper, and keep no copy here:")
    for i, share in enumerate(wrapping.shares, 1):
        out.write(f"\nshare {i}:\n{share}")
