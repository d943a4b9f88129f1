"""Are the stored evidence objects still the bytes their records name?

Each object is opened, decrypted and hashed as a stream (never held whole in memory) and
its SHA-256 compared with the one recorded when it was uploaded. Three faults are told
apart: the object is **missing**; it is **damaged** (it no longer decrypts, or its bytes
hash to nothing the instance knows); it was **swapped** (it decrypts to the bytes of another
stored object). `verify` checks a rotating sample every run (all with `--evidence`) and puts
each check on the case's ledger as a custody read; `backup` checks every file it packs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyrage
from django.core.management.base import CommandParser
from django.db import transaction

from qorgau.cases import checks
from qorgau.cases import services as case_services
from qorgau.cases.models import Case
from qorgau.evidence.models import Blob, Exhibit
from qorgau.evidence.services import identities, subject
from qorgau.evidence.storage import evidence_storage

MISSING, DAMAGED, SWAPPED = "missing", "damaged", "swapped"
VERIFY_ACTION = "exhibit.verify"  # a custody read: the object was opened and hashed
SAMPLE = 50  # objects checked by a plain `verify` run
DAY = 86400


class _Digest:
    """A write-only sink for age that hashes what it is given."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        return len(data)

    def flush(self) -> None:
        return None


@dataclass
class ObjectCheck:
    blob_id: int
    case_id: int
    reference: str
    object_name: str
    recorded: str  # the SHA-256 recorded for the object
    exhibits: list[int] = field(default_factory=list)
    found: str = ""  # the SHA-256 of what the object decrypts to, if it does
    problem: str = ""  # "", MISSING, DAMAGED or SWAPPED
    other: str = ""  # for SWAPPED: whose bytes it holds

    def describe(self) -> str:
        numbers = ", ".join(str(n) for n in self.exhibits) or "-"
        what = f"case {self.reference} exhibit {numbers} ({self.object_name})"
        if self.problem == MISSING:
            return f"{what}: MISSING: the stored object is not there"
        if self.problem == DAMAGED:
            return f"{what}: DAMAGED: the stored object no longer opens or hashes to its record"
        if self.problem == SWAPPED:
            return f"{what}: SWAPPED: the stored object holds the bytes of {self.other}"
        return f"{what}: OK"


def stored_digest(object_name: str) -> str | None:
    """SHA-256 of what the stored object decrypts to; None if it is not there. Raises
    pyrage.DecryptError (or OSError) if it does not decrypt."""
    storage = evidence_storage()
    if not storage.exists(object_name):
        return None
    try:
        fh = storage.open(object_name, "rb")
    except FileNotFoundError:
        return None
    except OSError:
        if not storage.exists(object_name):
            return None
        raise
    sink = _Digest()
    with fh:
        pyrage.decrypt_io(fh, sink, identities())
    return sink.sha256.hexdigest()


def _whose(sha256: str, not_blob: int) -> str:
    other = (Blob.objects.filter(sha256=sha256).exclude(pk=not_blob)
             .select_related("case").order_by("pk").first())
    if other is None:
        return ""
    numbers = sorted(other.exhibits.values_list("number", flat=True))
    return (f"case {other.case.reference} exhibit "
            f"{', '.join(map(str, numbers)) or '-'} ({other.object_name})")


def check_blobs(blob_ids: Sequence[int]) -> Iterator[ObjectCheck]:
    """Check the objects of these blobs, one at a time, in the order given."""
    exhibits: dict[int, list[int]] = {}
    for blob_id, number in Exhibit.objects.filter(blob_id__in=blob_ids).order_by(
            "number").values_list("blob_id", "number"):
        exhibits.setdefault(blob_id, []).append(number)
    rows = {row[0]: row for row in Blob.objects.filter(pk__in=blob_ids).values_list(
        "pk", "case_id", "case__reference", "object_name", "sha256")}
    for blob_id in blob_ids:
        if blob_id not in rows:
            continue
        _pk, case_id, reference, name, recorded = rows[blob_id]
        check = ObjectCheck(blob_id, case_id, reference, name, recorded,
                            exhibits.get(blob_id, []))
        try:
            found = stored_digest(name)
        except (pyrage.DecryptError, OSError, ValueError):
            check.problem = DAMAGED
        else:
            if found is None:
                check.problem = MISSING
            else:
                check.found = found
                if found != recorded:
                    check.other = _whose(found, blob_id)
                    check.problem = SWAPPED if check.other else DAMAGED
        yield check


def sample(size: int = SAMPLE, now: float | None = None) -> list[int]:
    """The blobs a plain `verify` checks: a window of `size` that moves on by `size` each
    day, so daily runs go round every stored object in (objects / size) days."""
    ids = list(Blob.objects.order_by("pk").values_list("pk", flat=True))
    if len(ids) <= size:
        return ids
    day = int((time.time() if now is None else now) // DAY)
    start = (day * size) % len(ids)
    window = ids[start:start + size]
    return window + ids[:size - len(window)]


def everything() -> list[int]:
    return list(Blob.objects.order_by("pk").values_list("pk", flat=True))


def record_check(check: ObjectCheck) -> None:
    """The check on the case's ledger, one custody read per exhibit of the object."""
    with transaction.atomic():
        case = Case.objects.get(pk=check.case_id)
        for exhibit in Exhibit.objects.filter(blob_id=check.blob_id).order_by("number"):
            case_services.append(case, None, VERIFY_ACTION, subject(exhibit), detail={
                "exhibit": exhibit.number, "why": f"verify: {check.problem or 'ok'}",
                "sha256": check.found})


def verify_objects(blob_ids: Iterable[int], ledger: bool = True) -> Iterator[ObjectCheck]:
    """Check each object and (with `ledger`) record every check as a custody read."""
    for check in check_blobs(list(blob_ids)):
        if ledger:
            record_check(check)
        yield check


def _add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--evidence", action="store_true",
                        help="open and hash every stored evidence object (default: a "
                             f"rotating sample of {SAMPLE})")
    parser.add_argument("--evidence-sample", type=int, default=SAMPLE, metavar="N",
                        help=f"objects in the rotating sample (default {SAMPLE}; 0: none)")


def _run(options: dict[str, object], say: Callable[[str], None]) -> list[str]:
    chosen = everything() if options.get("evidence") else sample(
        max(0, int(str(options.get("evidence_sample", SAMPLE)))))
    if not chosen:
        return []
    problems, checked = [], 0
    for check in verify_objects(chosen):
        checked += 1
        if check.problem:
            problems.append(check.describe())
    scope = "all" if options.get("evidence") else "rotating sample"
    say(f"evidence: {checked} stored objects opened and hashed ({scope}), "
        f"{len(problems)} missing, damaged or swapped")
    return problems


VERIFY_CHECK = checks.Check("evidence", _add_arguments, _run)
