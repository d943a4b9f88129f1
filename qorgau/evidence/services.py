"""Evidence: ingest, store, open, and the custody log on the case's ledger.

An upload is hashed (SHA-256 of the raw bytes) and checked while it streams, never held
whole in memory; it is encrypted with age to a temporary file and put into storage under its
hash; only then are its rows and ledger entry written, in one transaction. If that fails, the
object it added is removed again, so storage and database never disagree.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import pyrage
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import erasure, records
from qorgau.cases import services as case_services
from qorgau.cases.dates import DateError, PartialDate
from qorgau.cases.models import Case, Event
from qorgau.evidence import inspect
from qorgau.evidence.models import Blob, Exhibit
from qorgau.evidence.storage import evidence_storage, object_name
from qorgau.fields import require_key

CHUNK = 1024 * 1024
log = logging.getLogger(__name__)
LEFTOVER_AGE = 3600  # seconds after which an abandoned encrypted temporary file is removed
# A plaintext temporary file is removed whatever its age once no process holds it; this
# covers only the instant between creating a file and taking hold of it.
CREATING = 2.0


def work_dir() -> Path:
    """Temporary files of uploads in progress (plaintext never goes to a shared /tmp)."""
    path = Path(settings.QORGAU_EVIDENCE_DIR).parent / "evidence-work"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def hold(fd: int) -> None:
    """Mark a temporary file as in use by this process (a shared lock the kernel drops
    when the process ends, however it ends): `clean_leftovers` never removes it."""
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits out a clean-up's probe of the file, if any


def _held(path: Path) -> bool:
    """Whether a live process holds the file (see `hold`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False


def clean_leftovers(max_age: int = LEFTOVER_AGE) -> int:
    """Remove what interrupted uploads left behind; returns how many files.

    Plaintext (the request upload folder, the evidence work folder) goes as soon as no
    process holds it, whatever its age: a crash must not leave a survivor's file readable
    on disk. Encrypted partial objects in the evidence folder go after `max_age` seconds."""
    removed = 0
    now = time.time()
    plaintext = [work_dir(), Path(settings.FILE_UPLOAD_TEMP_DIR)]
    for folder in plaintext:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if (path.is_file() and not path.is_symlink()
                        and now - path.stat().st_mtime >= min(CREATING, max_age)
                        and not _held(path)):
                    path.unlink(missing_ok=True)
                    removed += 1
    if settings.QORGAU_EVIDENCE_BACKEND == "local":
        for path in Path(settings.QORGAU_EVIDENCE_DIR).glob("*/.partial-*"):
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and now - path.stat().st_mtime >= max_age:
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed


def recipients() -> list[Any]:
    require_key(settings.QORGAU_EVIDENCE_KEYS)
    return [pyrage.x25519.Identity.from_str(settings.QORGAU_EVIDENCE_KEYS[0]).to_public()]


def identities() -> list[Any]:
    require_key(settings.QORGAU_EVIDENCE_KEYS)
    return [pyrage.x25519.Identity.from_str(k) for k in settings.QORGAU_EVIDENCE_KEYS]


def _rejected(exc: inspect.Rejected) -> ValidationError:
    return ValidationError({"file": _(exc.message) % exc.params if exc.params else
                            _(exc.message)})


def too_large_message() -> str:
    from django.template.defaultfilters import filesizeformat

    return _("The file is larger than the limit of %(limit)s.") % {
        "limit": filesizeformat(settings.QORGAU_EVIDENCE_MAX_BYTES)}


def _too_large() -> ValidationError:
    return ValidationError({"file": too_large_message()})


def _hash(fh: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    fh.seek(0)
    while chunk := fh.read(CHUNK):
        size += len(chunk)
        if size > settings.QORGAU_EVIDENCE_MAX_BYTES:
            raise _too_large()
        digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest(), size


@contextmanager
def spooled(source: BinaryIO) -> Iterator[BinaryIO]:
    """A seekable copy of a stream (a pipe, a socket) in the work folder, within the limit."""
    fd, tmp = tempfile.mkstemp(dir=work_dir(), prefix="qorgau-", suffix=".upload")
    hold(fd)
    try:
        with os.fdopen(fd, "w+b") as copy:
            size = 0
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > settings.QORGAU_EVIDENCE_MAX_BYTES:
                    raise _too_large()
                copy.write(chunk)
            copy.seek(0)
            yield copy
    finally:
        Path(tmp).unlink(missing_ok=True)


@dataclass
class Upload:
    """What a caller hands in: an open, seekable file and what it is said to be."""

    file: BinaryIO
    name: str
    content_type: str = ""
    title: str = ""
    description: str = ""
    captured_at: str = ""  # as the uploader claims it (YYYY-MM-DD[THH:MM])
    event: Event | None = None


def _store(case: Case, fh: BinaryIO, sha256: str) -> tuple[str, bool]:
    """Encrypt into storage under its hash; (object name, whether this call created it)."""
    name = object_name(case.pk, sha256)
    storage = evidence_storage()
    if storage.exists(name):
        return name, False
    fd, tmp = tempfile.mkstemp(dir=work_dir(), prefix="qorgau-", suffix=".age")
    hold(fd)
    try:
        with os.fdopen(fd, "wb") as out:
            fh.seek(0)
            pyrage.encrypt_io(fh, out, recipients())
        with open(tmp, "rb") as encrypted:
            storage.save(name, File(encrypted))
    finally:
        Path(tmp).unlink(missing_ok=True)
    return name, True


def exhibit_record(exhibit: Exhibit) -> dict[str, Any]:
    return {
        "id": exhibit.pk, "case": exhibit.case_id, "number": exhibit.number,
        "sha256": exhibit.blob.sha256, "size": exhibit.blob.size,
        "media_type": exhibit.blob.media_type, "original_name": exhibit.original_name,
        "title": exhibit.title, "description": exhibit.description,
        "claimed_type": exhibit.claimed_type, "captured_at": exhibit.captured_at,
        "capture_source": exhibit.capture_source,
        "received_at": exhibit.received_at.isoformat(), "metadata": exhibit.metadata,
        "uploaded_by": exhibit.uploaded_by_id,
        "event": exhibit.event.number if exhibit.event else None,
        "derived_from": exhibit.derived_from.blob.sha256 if exhibit.derived_from else None,
        "derivation": exhibit.derivation, "tool": exhibit.tool, "salt": exhibit.salt,
    }


def _claimed_capture(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        return PartialDate.parse(text).iso()
    except DateError as exc:
        raise ValidationError({"captured_at": _(exc.message) % exc.params}) from exc


def ingest(case: Case, by: User, upload: Upload, *, derived_from: Exhibit | None = None,
           derivation: str = "", tool: str = "") -> Exhibit:
    """Check, store and record one file. Bad input: ValidationError, and nothing is kept."""
    clean_leftovers()
    try:
        name = inspect.check_name(upload.name)
    except inspect.Rejected as exc:
        raise _rejected(exc) from exc
    if derived_from is not None:
        if derived_from.case_id != case.pk:
            raise ValidationError(_("The original belongs to another case."))
        if derivation not in Exhibit.Derivation.values or not tool.strip():
            raise ValidationError({"derivation": _(
                "Say what kind of derivative this is and which tool made it.")})
    if upload.event is not None and upload.event.case_id != case.pk:
        raise ValidationError(_("The linked event belongs to another case."))
    captured = _claimed_capture(upload.captured_at)
    sha256, size = _hash(upload.file)
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    try:
        found = inspect.inspect(upload.file, size, name, upload.content_type,
                                settings.QORGAU_EVIDENCE_MAX_EXPANDED)
    except inspect.Rejected as exc:
        raise _rejected(exc) from exc
    existing = Exhibit.objects.filter(case=case, blob__sha256=sha256).order_by("number").first()
    if existing is not None:
        raise ValidationError({"file": _(
            "This file is already in the case as exhibit %(number)s.") % {
                "number": existing.number}})
    stored, created = _store(case, upload.file, sha256)
    try:
        return _record(case, by, upload, name, sha256, size, found, captured, stored,
                       derived_from, derivation, tool.strip())
    except BaseException:
        if created:
            evidence_storage().delete(stored)
        raise


@transaction.atomic
def _record(case: Case, by: User, upload: Upload, name: str, sha256: str, size: int,
            found: inspect.Inspection, captured: str, stored: str,
            derived_from: Exhibit | None, derivation: str, tool: str) -> Exhibit:
    case_services.lock(case)
    try:
        with transaction.atomic():
            blob = Blob.objects.create(case=case, sha256=sha256, size=size,
                                       media_type=found.media_type, object_name=stored)
    except IntegrityError as exc:  # the same bytes, uploaded at the same moment
        raise ValidationError({"file": _("This file is already in the case.")}) from exc
    number = (Exhibit.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
    exhibit = Exhibit.objects.create(
        case=case, number=number, blob=blob, original_name=name,
        title=upload.title.strip() or name, description=upload.description.strip(),
        claimed_type=inspect.claimed_type(name, upload.content_type),
        captured_at=captured or found.captured_at,
        capture_source="user" if captured else ("file" if found.captured_at else ""),
        received_at=timezone.now(), metadata_json=json.dumps(found.metadata, sort_keys=True),
        uploaded_by=by, event=upload.event, derived_from=derived_from,
        derivation=derivation, tool=tool, salt=secrets.token_hex(16),
    )
    action = "exhibit.derive" if derived_from else "exhibit.create"
    case_services.append(case, by, action, subject(exhibit), exhibit_record(exhibit))
    if derived_from is not None:
        record_custody(derived_from, by, "exhibit.derivative",
                       _("derivative made: exhibit %(number)s") % {"number": number},
                       derived_from.blob.sha256)
    return exhibit


def subject(exhibit: Exhibit) -> str:
    return f"exhibit:{exhibit.pk}"


@transaction.atomic
def record_custody(exhibit: Exhibit, by: User, action: str, why: str, sha256: str) -> None:
    """A use of an exhibit on the case's ledger: who, when (the entry), why, hash then."""
    case_services.append(exhibit.case, by, action, subject(exhibit), detail={
        "exhibit": exhibit.number, "why": why[:200], "sha256": sha256})


class IntegrityFailure(RuntimeError):
    pass


def open_original(exhibit: Exhibit) -> tuple[IO[bytes], str]:
    """The decrypted original in a temporary file, and the SHA-256 of what was read.

    Raises IntegrityFailure if the bytes no longer match their recorded hash, or the
    stored object is missing or no longer decrypts (damaged).
    """
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=8 * CHUNK, mode="w+b", dir=str(work_dir()))
    try:
        with evidence_storage().open(exhibit.blob.object_name, "rb") as encrypted:
            pyrage.decrypt_io(encrypted, spool, identities())
    except (OSError, pyrage.DecryptError) as exc:
        spool.close()
        raise IntegrityFailure(f"exhibit {exhibit.number}: the stored object is missing or "
                               f"damaged ({type(exc).__name__})") from exc
    digest = hashlib.sha256()
    spool.seek(0)
    while chunk := spool.read(CHUNK):
        digest.update(chunk)
    spool.seek(0)
    sha256 = digest.hexdigest()
    if sha256 != exhibit.blob.sha256:
        spool.close()
        raise IntegrityFailure(f"exhibit {exhibit.number}: stored bytes hash to {sha256}, "
                               f"recorded {exhibit.blob.sha256}")
    return spool, sha256


def spool_file() -> IO[bytes]:
    """A temporary file in the work folder (deleted when closed)."""
    return tempfile.TemporaryFile(dir=str(work_dir()), prefix="qorgau-")  # noqa: SIM115


def chunks(fh: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := fh.read(CHUNK):
            yield chunk
    finally:
        fh.close()


def evidence_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: exhibits as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for e in Exhibit.objects.filter(case_id__in=case_ids).select_related(
            "blob", "event", "derived_from__blob"):
        found[e.case_id][subject(e)] = exhibit_record(e)
    return found


def remove_objects(names: list[str], still_used: Callable[[str], bool]) -> None:
    """Delete stored objects after an erasure commits, unless a row still names them.

    `still_used(name)` tells whether a record still refers to the object. A failure is
    logged and the object stays (then listed by `evidence-gc` as an orphan, for evidence)."""
    storage = evidence_storage()
    for name in names:
        if not name or still_used(name):
            continue
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001 -- each backend fails its own way; keep going
            log.exception("could not remove the erased case's stored object %s", name)


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): exhibits and their blobs; the encrypted files are
    removed once the erasure has committed, and only if no blob row still names them."""
    names = list(Blob.objects.filter(case=case).values_list("object_name", flat=True))
    exhibits = Exhibit.objects.filter(case=case)
    exhibits.exclude(derived_from=None).update(derived_from=None)
    counts = erasure.delete(exhibits, Blob.objects.filter(case=case))
    transaction.on_commit(lambda: remove_objects(
        names, lambda name: Blob.objects.filter(object_name=name).exists()))
    return counts


def orphans() -> list[str]:
    """Stored objects without a Blob row (left by a crash between storing and recording)."""
    if settings.QORGAU_EVIDENCE_BACKEND != "local":
        return []
    root = Path(settings.QORGAU_EVIDENCE_DIR)
    known = set(Blob.objects.values_list("object_name", flat=True))
    found = [str(p.relative_to(root)) for p in root.glob("*/*.age")
             if not p.name.startswith("bundle-")] if root.is_dir() else []
    return sorted(name for name in found if name not in known)
