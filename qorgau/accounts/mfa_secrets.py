"""The encrypted parts of allauth's authenticators (TOTP secret, recovery-code seed), for
key rotation and backups: they are JSON values, not EncryptedTextFields."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from qorgau.fields import keyring

SECRET_KEYS = ("secret", "seed")


def _map(data: Any, change: Any) -> Any:
    if not isinstance(data, dict):
        return data
    return {key: change(value) if key in SECRET_KEYS and isinstance(value, str) else value
            for key, value in data.items()}


def reveal(authenticator: Authenticator) -> None:
    """In place: plaintext secrets (for an archive that is itself encrypted)."""
    authenticator.data = _map(authenticator.data, keyring().decrypt)


def seal(authenticator: Authenticator) -> None:
    """In place: secrets encrypted under the newest data key."""
    authenticator.data = _map(authenticator.data, keyring().encrypt)


def rotate_all() -> int:
    ring = keyring()
    done = 0
    for authenticator in Authenticator.objects.order_by("pk").iterator():
        rotated = _map(authenticator.data, ring.rotate)
        if rotated != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=rotated)
            done += 1
    return done
