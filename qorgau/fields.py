"""Model fields encrypted at rest with the keys of QORGAU_DATA_KEYS."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models

from qorgau.crypto import KeyRing


@lru_cache(maxsize=4)
def _ring(keys: tuple[str, ...]) -> KeyRing:
    return KeyRing(keys)


class KeysLocked(RuntimeError):
    """No data key in this process: trustee custody before unlock, or after a panic lock."""


def require_key(key: object) -> None:
    """Refuse in plain words when a key is not open (trustee custody, locked)."""
    if not key:
        raise KeysLocked("The instance is locked: no key is open in this process. "
                         "Enough trustees must enter their shares first.")


def keyring() -> KeyRing:
    keys = settings.QORGAU_DATA_KEYS
    require_key(keys)
    return _ring(tuple(keys))


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; decrypted on load. Cannot be filtered on."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return keyring().decrypt(value)

    def get_db_converters(self, connection: Any) -> list[Any]:
        """from_db_value for the rows of one query, the keyring looked up once at its first
        value rather than for every value (`verify` decrypts about 110 values a case)."""
        ring: list[KeyRing] = []

        def decrypt(value: Any, expression: Any, connection: Any) -> str | None:
            if value is None:
                return None
            if not ring:
                ring.append(keyring())
            return ring[0].decrypt(value)

        return [decrypt]

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return keyring().encrypt(str(value))
