"""Signed checkpoints of every case's ledger head, and their verification.

A checkpoint commits to two Merkle roots (RFC 6962, `qorgau.cases.merkle`):

- `heads_root`, over one leaf per case that has a ledger, in ascending case id order: the
  canonical JSON of {"case": id, "seq": head seq, "hash": head hash};
- `log_root`, over the digests of checkpoints 1..N, where each digest covers the
  checkpoint's number, heads root, case count, time and the log root before it. The
  checkpoints therefore form an append-only log of their own, and a consistency proof
  shows that a later log still contains an earlier one unchanged.

Each is signed with the instance's Ed25519 key. `verify_checkpoints` checks the stored
checkpoints against each other and against today's ledger: a case head that a checkpoint
recorded must still be in the ledger with the same hash, so a case's chain may have been
extended since, but not rewritten. Given a witness organisation's exported copy, it also
checks that the copy is a prefix of the stored log. See docs/architecture.md, "Checkpoints".
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from qorgau.cases import merkle
from qorgau.cases.ledger import canonical
from qorgau.cases.models import Case, Checkpoint, LedgerEntry
from qorgau.fields import require_key

FORMAT = "qorgau.checkpoints"
VERSION = 1
# Signed alongside the fields, so a checkpoint signature can never pass for a signature of
# anything else the instance key signs (court bundles).
SIGNATURE_CONTEXT = "qorgau.checkpoint/1"
SIGNED_FIELDS = ("number", "created_at", "case_count", "heads_root", "log_root",
                 "previous_log_root")
RECORD_FIELDS = (*SIGNED_FIELDS, "signature", "public_key")
EMPTY_LOG_ROOT = merkle.EMPTY_ROOT.hex()


class CheckpointError(Exception):
    pass


@dataclass(frozen=True)
class Problem:
    checkpoint: int | None
    reason: str
    case: str | None = None  # the case reference, when one case is at fault

    def __str__(self) -> str:
        return f"checkpoint {self.checkpoint}: {self.reason}" if self.checkpoint else self.reason


# --- keys and signatures ------------------------------------------------------------------


@functools.cache
def _private_key(pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError("QORGAU_SIGNING_KEY is not an Ed25519 key.")
    return key


def _signing_key() -> Ed25519PrivateKey:
    require_key(settings.QORGAU_SIGNING_KEY)
    return _private_key(settings.QORGAU_SIGNING_KEY)


def instance_public_key() -> str:
    """This instance's public key: raw 32 bytes, base64."""
    raw = _signing_key().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signed_message(record: Mapping[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers: canonical JSON of its signed fields."""
    return canonical({"context": SIGNATURE_CONTEXT,
                      **{name: record[name] for name in SIGNED_FIELDS}})


def signature_valid(record: Mapping[str, Any]) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(record["public_key"], validate=True))
        key.verify(base64.b64decode(record["signature"], validate=True),
                   signed_message(record))
    except (InvalidSignature, ValueError, TypeError, KeyError, binascii.Error):
        return False
    return True


def _digest(record: Mapping[str, Any]) -> bytes:
    return merkle.checkpoint_digest(record["number"], record["heads_root"],
                                    record["case_count"], record["created_at"],
                                    record["previous_log_root"])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def record(checkpoint: Checkpoint, heads: bool = True) -> dict[str, Any]:
    """A checkpoint as plain data, as exported (`heads` stays home unless asked for)."""
    data: dict[str, Any] = {
        "number": checkpoint.number,
        "created_at": _iso(checkpoint.created_at),
        "case_count": checkpoint.case_count,
        "heads_root": checkpoint.heads_root,
        "log_root": checkpoint.log_root,
        "previous_log_root": checkpoint.previous_log_root,
        "signature": checkpoint.signature,
        "public_key": checkpoint.public_key,
    }
    if heads:
        data["heads"] = checkpoint.heads
    return data


# --- creating -----------------------------------------------------------------------------


def current_heads() -> list[list[Any]]:
    """[case id, head seq, head hash] of every case with a ledger, in case id order."""
    top = LedgerEntry.objects.filter(case=OuterRef("pk")).order_by("-seq")
    rows = (
        Case.objects.annotate(head_seq=Subquery(top.values("seq")[:1]),
                              head_hash=Subquery(top.values("hash")[:1]))
        .filter(head_seq__isnull=False)
        .order_by("pk")
        .values_list("pk", "head_seq", "head_hash")
    )
    return [[pk, seq, hash_] for pk, seq, hash_ in rows]


def _lock() -> None:
    """One checkpoint at a time (SQLite's IMMEDIATE transactions already serialise)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Conflicts with itself, not with readers; fires no trigger.
            cursor.execute("LOCK TABLE cases_checkpoint IN SHARE ROW EXCLUSIVE MODE")


@transaction.atomic
def create_checkpoint() -> Checkpoint:
    """Sign the current heads of all cases as the next checkpoint in the log.

    Refuses when the stored checkpoints do not form an intact log, so that a new signature
    never vouches for a log that was tampered with.
    """
    _lock()
    previous = [record(c, heads=False)
                for c in Checkpoint.objects.defer("heads").order_by("number")]
    problems = _log_problems(previous)
    if problems:
        raise CheckpointError(
            f"The stored checkpoints do not verify ({problems[0]}); run verify-checkpoints.")
    heads = current_heads()
    data: dict[str, Any] = {
        "number": len(previous) + 1,
        "created_at": _iso(timezone.now().replace(microsecond=0)),
        "case_count": len(heads),
        "heads_root": merkle.heads_root(heads).hex(),
        "previous_log_root": previous[-1]["log_root"] if previous else EMPTY_LOG_ROOT,
    }
    data["log_root"] = merkle.root([*map(_digest, previous), _digest(data)]).hex()
    data["public_key"] = instance_public_key()
    data["signature"] = base64.b64encode(_signing_key().sign(signed_message(data))).decode()
    return Checkpoint.objects.create(
        number=data["number"], created_at=datetime.fromisoformat(data["created_at"]),
        case_count=data["case_count"], heads_root=data["heads_root"],
        log_root=data["log_root"], previous_log_root=data["previous_log_root"], heads=heads,
        signature=data["signature"], public_key=data["public_key"],
    )


# --- exporting ----------------------------------------------------------------------------


def export_checkpoints(after: int | None = None) -> dict[str, Any]:
    """The checkpoints after number `after` (all by default), for a witness to keep.

    Holds roots and signatures only, never case data. With `after`, it carries the RFC 6962
    consistency proof that the log now extends the witness's checkpoint `after`.
    """
    stored = list(Checkpoint.objects.defer("heads").order_by("number"))
    after = after or 0
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "public_key": instance_public_key(),
        "exported_at": _iso(timezone.now().replace(microsecond=0)),
        "checkpoints": [record(c, heads=False) for c in stored if c.number > after],
    }
    if 0 < after < len(stored):
        tree = merkle.Tree(_digest(record(c, heads=False)) for c in stored)
        document["consistency"] = {
            "old_size": after,
            "new_size": tree.size,
            "proof": [h.hex() for h in tree.consistency_proof(after)],
        }
    return document


# --- verifying ----------------------------------------------------------------------------


def _log_problems(records: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Numbering, links and log roots of checkpoints 1..N as stored."""
    for expected, data in enumerate(records, 1):
        if data["number"] != expected:
            return [Problem(expected, f"missing (the checkpoints jump from {expected - 1} "
                                      f"to {data['number']})")]
    problems: list[Problem] = []
    previous_root = EMPTY_LOG_ROOT
    for data in records:
        if data["previous_log_root"] != previous_root:
            problems.append(Problem(data["number"], "does not link to the log root of the "
                                                    "checkpoint before it"))
            break
        previous_root = data["log_root"]
    tree = merkle.Tree(map(_digest, records))
    for data in records:
        if tree.root(data["number"]).hex() != data["log_root"]:
            problems.append(Problem(data["number"], "the log root does not match checkpoints "
                                                    f"1-{data['number']} as stored"))
            break
    return problems


def _heads_problem(data: Mapping[str, Any]) -> Problem | None:
    heads = data.get("heads")
    try:
        ids = [int(case_id) for case_id, _seq, _hash in heads or ()]
        root = merkle.heads_root(heads or ()).hex()
    except (TypeError, ValueError):
        return Problem(data["number"], "the case heads cannot be read")
    if ids != sorted(set(ids)) or len(ids) != data["case_count"] or root != data["heads_root"]:
        return Problem(data["number"], "the case heads do not match the signed heads root")
    return None


def _signature_problem(data: Mapping[str, Any], key: str) -> Problem | None:
    if not signature_valid(data):
        return Problem(data["number"], "the signature does not match the contents")
    if data["public_key"] != key:
        return Problem(data["number"], "signed by a key that is not this instance's")
    return None


class _History:
    """Every head a checkpoint recorded must still be in the ledger, with the same hash."""

    def __init__(self) -> None:
        # case id -> seq -> (hash, first checkpoint that recorded it)
        self.wanted: dict[int, dict[int, tuple[str, int]]] = {}
        # case id -> (seq, checkpoint) where a later checkpoint recorded another hash
        self.conflicts: dict[int, tuple[int, int]] = {}

    def add(self, data: Mapping[str, Any]) -> None:
        for case_id, seq, hash_ in data["heads"]:
            seen = self.wanted.setdefault(int(case_id), {}).setdefault(
                int(seq), (hash_, data["number"]))
            if seen[0] != hash_:
                self.conflicts.setdefault(int(case_id), (int(seq), data["number"]))

    def problems(self) -> list[Problem]:
        """One per case: the earliest recorded head that is gone or different."""
        references = dict(Case.objects.filter(pk__in=list(self.wanted))
                          .values_list("pk", "reference"))
        problems: list[Problem] = []
        for case_id in sorted(self.wanted):
            reference = references.get(case_id, f"<missing case {case_id}>")
            if case_id in self.conflicts:
                seq, number = self.conflicts[case_id]
                problems.append(Problem(number, f"case {reference} was rewritten between "
                                                f"checkpoints: entry {seq} has another hash "
                                                "than an earlier checkpoint recorded",
                                        reference))
                continue
            seqs = self.wanted[case_id]
            stored = dict(LedgerEntry.objects.filter(case_id=case_id, seq__in=list(seqs))
                          .values_list("seq", "hash"))
            for seq in sorted(seqs):
                hash_, number = seqs[seq]
                if seq not in stored:
                    reason = (f"entry {seq}, its head at this checkpoint, is no longer in the "
                              "ledger")
                elif stored[seq] != hash_:
                    reason = (f"entry {seq}, its head at this checkpoint, no longer has the "
                              "hash recorded")
                else:
                    continue
                problems.append(Problem(number, f"case {reference} was rewritten: {reason}",
                                        reference))
                break
        return sorted(problems, key=lambda p: (p.checkpoint or 0, p.case or ""))


def _witness_records(exported: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(exported, Mapping) or exported.get("format") != FORMAT:
        raise CheckpointError("not a checkpoint export")
    if exported.get("version") != VERSION:
        raise CheckpointError(f"unknown export version {exported.get('version')!r}")
    records = exported.get("checkpoints")
    if not isinstance(records, list):
        raise CheckpointError("it has no list of checkpoints")
    types = {"number": int, "case_count": int}
    parsed = []
    for i, data in enumerate(records):
        if not isinstance(data, Mapping) or any(
            not isinstance(data.get(name), types.get(name, str)) or isinstance(
                data.get(name), bool) for name in RECORD_FIELDS
        ):
            raise CheckpointError(f"checkpoint #{i + 1} in it is incomplete")
        parsed.append({name: data[name] for name in RECORD_FIELDS})
    numbers = [data["number"] for data in parsed]
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise CheckpointError("its checkpoints are not numbered consecutively")
    return parsed


def _witness_problems(
    exported: Mapping[str, Any], ours: Sequence[Mapping[str, Any]]
) -> list[Problem]:
    """A witness's copy must be a prefix of the stored log, and the log must extend it."""
    try:
        theirs = _witness_records(exported)
    except CheckpointError as exc:
        return [Problem(None, f"the witness copy cannot be used: {exc}")]
    problems: list[Problem] = []
    by_number = {data["number"]: data for data in ours}
    for data in theirs:
        number = data["number"]
        if not signature_valid(data):
            problems.append(Problem(number, "the witness copy's signature does not match its "
                                            "contents"))
        mine = by_number.get(number)
        if mine is None:
            problems.append(Problem(number, "in the witness copy but no longer here"))
        elif any(mine[name] != data[name] for name in RECORD_FIELDS):
            changed = ", ".join(name for name in RECORD_FIELDS if mine[name] != data[name])
            problems.append(Problem(number, f"differs from the witness copy ({changed})"))
    if not theirs or problems or ours[-1]["number"] != len(ours):
        return problems  # (a gap in the stored log is reported on its own)
    # The stored log must extend the last checkpoint the witness holds: an RFC 6962
    # consistency proof from its size and root (as the witness has them) to ours.
    last = theirs[-1]
    tree = merkle.Tree(map(_digest, ours))
    proof = tree.consistency_proof(last["number"])
    if not merkle.verify_consistency(last["number"], bytes.fromhex(last["log_root"]),
                                     tree.size, bytes.fromhex(ours[-1]["log_root"]), proof):
        problems.append(Problem(ours[-1]["number"], "the log does not extend checkpoint "
                                                    f"{last['number']} held by the witness"))
    return problems


def verify_checkpoints(exported: Mapping[str, Any] | None = None) -> list[Problem]:
    """Problems with the stored checkpoints (and a witness's copy of them); [] when intact.

    Checks each signature and key, each checkpoint's heads against its heads root, the
    numbering, links and log roots of the checkpoint log, and that every case head any
    checkpoint recorded is still in today's ledger with the same hash. With `exported`
    (a witness's `export_checkpoints()`), also that the witness's checkpoints are stored
    here unchanged and that the log extends the witness's last one.
    """
    key = instance_public_key()
    ours: list[dict[str, Any]] = []
    problems: list[Problem] = []
    history = _History()
    # One checkpoint's heads in memory at a time.
    for checkpoint in Checkpoint.objects.order_by("number").iterator(chunk_size=20):
        data = record(checkpoint)
        signature_problem, heads_problem = _signature_problem(data, key), _heads_problem(data)
        problems += [p for p in (signature_problem, heads_problem) if p]
        if heads_problem is None:
            history.add(data)
        del data["heads"]
        ours.append(data)
    problems += _log_problems(ours)
    problems += history.problems()
    if exported is not None:
        problems += _witness_problems(exported, ours)
    return problems
