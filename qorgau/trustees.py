"""Keys held by trustees: the data, evidence and signing keys wrapped under a key-encryption
key (KEK) that is split M-of-N among trustees. Pure: no Django.

The KEK is 32 random bytes. The keys are wrapped with AES-256-GCM under it (the AAD names
the format, so a wrapped file from elsewhere is refused). The KEK is split with SLIP-39
(`shamir-mnemonic`, the reference implementation by SatoshiLabs): each share is a list of
words with its own checksum, so a mistyped share is refused on its own, and a set of shares
carries a digest, so shares of another split, or too few shares, never yield a wrong key.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field

import shamir_mnemonic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "qorgau-wrapped-keys-v1"
KEK_BYTES = 32


class ShareError(ValueError):
    """A share, or a set of shares, that cannot open the keys; the message is for people,
    the code (invalid, other_set, mismatch, damaged) for translated pages."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class InstanceKeys:
    data_keys: list[str]
    evidence_keys: list[str]
    signing_key: str

    def to_json(self) -> bytes:
        return json.dumps({"data_keys": self.data_keys, "evidence_keys": self.evidence_keys,
                           "signing_key": self.signing_key}).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> InstanceKeys:
        obj = json.loads(raw.decode("utf-8"))
        return cls(list(obj["data_keys"]), list(obj["evidence_keys"]), str(obj["signing_key"]))


def new_kek() -> bytes:
    return os.urandom(KEK_BYTES)


def wrap(keys: InstanceKeys, kek: bytes) -> str:
    """The wrapped keys as a small JSON document (nothing in it opens without the KEK)."""
    nonce = os.urandom(12)
    sealed = AESGCM(kek).encrypt(nonce, keys.to_json(), FORMAT.encode("ascii"))
    return json.dumps({"format": FORMAT, "nonce": base64.b64encode(nonce).decode("ascii"),
                       "sealed": base64.b64encode(sealed).decode("ascii")}, indent=1) + "\n"


def unwrap(document: str, kek: bytes) -> InstanceKeys:
    try:
        obj = json.loads(document)
        if obj.get("format") != FORMAT:
            raise ValueError(obj.get("format"))
        nonce = base64.b64decode(obj["nonce"])
        sealed = base64.b64decode(obj["sealed"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ShareError("The wrapped keys file is damaged or not Qorgau's.", "damaged") from exc
    try:
        plain = AESGCM(kek).decrypt(nonce, sealed, FORMAT.encode("ascii"))
    except InvalidTag as exc:
        raise ShareError("These shares do not open this instance's keys.", "mismatch") from exc
    return InstanceKeys.from_json(plain)


def split(kek: bytes, threshold: int, count: int) -> list[str]:
    """N shares of the KEK, any `threshold` of which rebuild it."""
    if not 1 <= threshold <= count <= 16:
        raise ValueError("the threshold must be between 1 and the number of shares (at most 16)")
    if threshold == 1 and count > 1:
        raise ValueError("a threshold of 1 gives every trustee the whole key; use at least 2")
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, count)], kek)
    return list(groups[0])


def normalise(share: str) -> str:
    return " ".join(share.lower().split())


def check_share(share: str) -> shamir_mnemonic.Share:
    """One share, checked on its own (word list and checksum)."""
    try:
        return shamir_mnemonic.Share.from_mnemonic(normalise(share))
    except shamir_mnemonic.MnemonicError as exc:
        raise ShareError("This is not a valid share: a word is mistyped or missing.",
                         "invalid") from exc


def combine(shares: list[str]) -> bytes:
    try:
        return shamir_mnemonic.combine_mnemonics([normalise(s) for s in shares])
    except shamir_mnemonic.MnemonicError as exc:
        raise ShareError("These shares do not belong together or are not enough.",
                         "mismatch") from exc


@dataclass
class ShareBox:
    """Shares entered one by one until enough are in. Held in memory only."""

    shares: dict[int, str] = field(default_factory=dict)
    threshold: int | None = None
    identifier: int | None = None

    def add(self, share: str) -> int:
        """Add a share; return how many more are needed (0: enough)."""
        parsed = check_share(share)
        if self.identifier is not None and parsed.identifier != self.identifier:
            raise ShareError("This share belongs to another set of shares.", "other_set")
        self.identifier = parsed.identifier
        self.threshold = parsed.member_threshold
        self.shares[parsed.index] = normalise(share)
        return max(0, self.threshold - len(self.shares))

    def open(self, document: str) -> InstanceKeys:
        try:
            return unwrap(document, combine(list(self.shares.values())))
        finally:
            self.clear()

    def clear(self) -> None:
        self.shares.clear()
        self.threshold = None
        self.identifier = None
