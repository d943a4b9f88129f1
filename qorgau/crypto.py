"""Field encryption and blind indexes. Pure: no Django.

Values are encrypted with MultiFernet (newest key first). Exact-match search uses a keyed
HMAC "blind index" derived per key, so an index can be computed under every configured key
and matched while keys are being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["InvalidToken", "KeyRing", "generate_key", "normalise_for_index", "parse_keys"]


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str) -> list[str]:
    """Split a comma- or whitespace-separated key list, newest first; reject bad keys."""
    keys = [k.strip() for k in raw.replace(",", " ").split() if k.strip()]
    for i, key in enumerate(keys):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError(
                f"QORGAU_DATA_KEYS entry {i + 1} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from exc
    return keys


def normalise_for_index(value: str) -> str:
    """Case-, width- and whitespace-insensitive form used for exact-match search."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(text.split())


class KeyRing:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one data key is required")
        self.keys = list(keys)
        self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in self.keys])
        self._index_keys = [self._derive(k, b"qorgau blind index v1") for k in self.keys]

    @staticmethod
    def _derive(key: str, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            key.encode("ascii")
        )

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (plaintext unchanged)."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def blind_index(self, value: str) -> str:
        """Index under the newest key; what new and rotated records store."""
        return self._index(self._index_keys[0], value)

    def blind_indexes(self, value: str) -> list[str]:
        """Index under every key: what a search matches during a rotation."""
        return [self._index(k, value) for k in self._index_keys]

    @staticmethod
    def _index(key: bytes, value: str) -> str:
        digest = hmac.new(key, normalise_for_index(value).encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()
