"""Hash-chained ledgers (a case's, an organisation's): canonical digests and chain
verification. Pure: no Django.

Each entry's hash covers its chain's name (`case`: a case's id; "organisation:<id>" for an
organisation), sequence number, time, actor, action, subject, the digest of its payload and
the previous entry's hash, so changing, removing, inserting or reordering an entry breaks the
chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

GENESIS = "0" * 64


_INT_LIMIT = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles
_SURROGATES = "\ud800"  # keys from here on may sort differently as UTF-16
# The C encoder itself, made once (JSONEncoder.encode makes one per call): sorted keys, no
# spaces, non-ASCII as is, no NaN, no check for cycles (records have none).
_c_encoder = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.c_encode_basestring,  # type: ignore[attr-defined]
    None, ":", ",", True, False, False)
_string = json.encoder.c_encode_basestring  # type: ignore[attr-defined]


def _fast(obj: Any) -> str:
    """What json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    allow_nan=False, check_circular=False).encode writes for a dict, list or tuple."""
    return "".join(_c_encoder(obj, 0))


def _plain(obj: Any) -> bool:
    """True if the C json encoder writes `obj` exactly as RFC 8785 does: no floats (their
    ECMAScript form differs), integers in the safe range, keys that sort the same by code
    point as by UTF-16 code unit, and only dicts, lists, tuples, strings, bools and None."""
    if isinstance(obj, dict):
        for key in obj:
            if type(key) is not str or not (key.isascii() or max(key) < _SURROGATES):
                return False
        items: Iterable[Any] = obj.values()
    elif isinstance(obj, list | tuple):
        items = obj
    else:
        items = (obj,)
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return False
        elif isinstance(item, dict | list | tuple):
            if not _plain(item):
                return False
        elif isinstance(item, str):
            continue
        elif isinstance(item, int):  # int subclasses (IntEnum) are written as their value
            if not -_INT_LIMIT <= item <= _INT_LIMIT:
                return False
        else:
            return False
    return True


def canonical(obj: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes: by the C json encoder where its output is the
    same (most records), else by the rfc8785 package."""
    if _plain(obj):
        try:
            return _fast(obj).encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate, refused as rfc8785 does
            raise rfc8785.CanonicalizationError("input contains non-UTF-8 codepoints") from exc
    return rfc8785.dumps(obj)


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj)).hexdigest()


@dataclass(frozen=True)
class Entry:
    case: str
    seq: int
    at: str  # ISO 8601, UTC
    actor: str  # user id as text, or "system"
    action: str
    subject: str  # e.g. "event:42", "case:7"
    payload_digest: str
    prev_hash: str
    hash: str = ""

    def header(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "payload_digest": self.payload_digest,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        """digest(self.header()): written directly when every field is of the type it is
        declared with (the same bytes as the C encoder with sorted keys, which `canonical`
        uses for such a header: qorgau/cases/tests/test_pure.py holds them to each other)."""
        seq = self.seq
        fields = (self.action, self.actor, self.at, self.case, self.payload_digest,
                  self.prev_hash, self.subject)
        if type(seq) is int and -_INT_LIMIT <= seq <= _INT_LIMIT and all(
                type(field) is str for field in fields):
            action, actor, at, case, payload, prev, subject = map(_string, fields)
            text = (f'{{"action":{action},"actor":{actor},"at":{at},"case":{case},'
                    f'"payload_digest":{payload},"prev_hash":{prev},"seq":{seq},'
                    f'"subject":{subject}}}')
            try:
                return hashlib.sha256(text.encode("utf-8")).hexdigest()
            except UnicodeEncodeError:  # a lone surrogate: refused as canonical refuses
                pass
        return digest(self.header())


def chain_hash(
    case: str, seq: int, at: str, actor: str, action: str, subject: str,
    payload_digest: str, prev_hash: str,
) -> str:
    return Entry(case, seq, at, actor, action, subject, payload_digest, prev_hash).computed_hash()


@dataclass(frozen=True)
class Problem:
    seq: int | None
    reason: str


def verify_chain(entries: Iterable[Entry]) -> Problem | None:
    """First break in one case's chain (entries ordered by seq), or None if intact."""
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        if entry.seq != expected_seq:
            return Problem(entry.seq, f"sequence jumps from {expected_seq - 1} to {entry.seq}")
        if entry.prev_hash != prev:
            return Problem(entry.seq, "previous-hash link does not match the entry before it")
        if entry.computed_hash() != entry.hash:
            return Problem(entry.seq, "entry hash does not match its contents")
        prev = entry.hash
        expected_seq += 1
    return None


def payload_digest(detail: Mapping[str, Any], record: Any) -> str:
    """Digest of an entry's payload: its detail plus the record state it wrote (or None)."""
    return digest({"detail": dict(detail), "record": record})


def payload_matches(detail: Mapping[str, Any], record: Any, expected: str) -> bool:
    """Whether the payload (detail, record) hashes to `expected`, the digest recorded when
    it was written: the C encoder's bytes tried first, then the canonical ones.

    For the payloads Qorgau writes, the C encoder's bytes are the canonical bytes (where
    `_plain` holds), so their digest decides without that check, which takes about as long
    as the encoding. Where they differ (a float, an integer past 2**53, keys sorting
    differently as UTF-16), the C encoder's bytes are not the bytes whose digest was
    recorded, so they do not match it (SHA-256), and the canonical digest decides as
    before. A match is always the very JSON text that was hashed when the entry was
    written."""
    payload = {"detail": dict(detail), "record": record}
    try:
        data = _fast(payload).encode("utf-8")
    except (TypeError, ValueError, RecursionError):  # a lone surrogate, NaN, another type
        pass
    else:
        if hashlib.sha256(data).hexdigest() == expected:
            return True
    return digest(payload) == expected


@dataclass(frozen=True)
class Write:
    """The newest entry that wrote a subject, as the ledger holds it."""

    seq: int
    detail: Mapping[str, Any]
    payload_digest: str
    removed: bool


def verify_records(latest: Mapping[str, Write], records: Mapping[str, Any]) -> list[Problem]:
    """Compare current records with the ledger's latest word on each subject.

    `records` maps subject -> current canonical record. Reports records that were changed,
    deleted, or that exist without any ledger entry.
    """
    problems: list[Problem] = []
    for subject, write in latest.items():
        if subject not in records:
            if not write.removed:
                problems.append(Problem(write.seq, f"{subject} is in the ledger but missing"))
        elif write.removed:
            problems.append(Problem(write.seq, f"{subject} was removed but still exists"))
        elif not payload_matches(write.detail, records[subject], write.payload_digest):
            problems.append(Problem(write.seq, f"{subject} differs from what the ledger recorded"))
    for subject in records:
        if subject not in latest:
            problems.append(Problem(None, f"{subject} exists without a ledger entry"))
    return sorted(problems, key=lambda p: (p.seq is None, p.seq or 0))
