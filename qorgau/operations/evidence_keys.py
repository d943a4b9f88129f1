"""Re-encrypt every stored evidence and bundle file to the newest evidence key.

Each file is decrypted and re-encrypted as a stream through a pipe (the plaintext never
touches the disk), its plaintext hash checked against the one recorded, and the new file
replaces the old one atomically. Files that the newest key already opens are checked and left
alone, so an interrupted rotation is finished by running it again.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyrage
from django.conf import settings
from django.core.files import File

from qorgau.bundles.models import Bundle
from qorgau.evidence.models import Blob
from qorgau.evidence.services import identities, recipients, work_dir
from qorgau.evidence.storage import evidence_storage
from qorgau.operations.streams import Hashing, HashingSink, Producer


@dataclass
class Report:
    rotated: int = 0
    current: int = 0
    failed: list[str] = field(default_factory=list)


def stored_files() -> Iterator[tuple[str, str, str]]:
    """(object name, SHA-256 of the plaintext as recorded, what it is) for every file."""
    for blob in Blob.objects.order_by("pk").iterator():
        yield blob.object_name, blob.sha256, f"exhibit file {blob.object_name}"
    for bundle in Bundle.objects.exclude(object_name="").order_by("pk").iterator():
        yield bundle.object_name, bundle.sha256, f"bundle {bundle.pk}"


def _newest_opens(name: str) -> str | None:
    """The plaintext's SHA-256 if the newest key opens the file; None if it does not."""
    newest = [pyrage.x25519.Identity.from_str(settings.QORGAU_EVIDENCE_KEYS[0])]
    sink = HashingSink()
    try:
        with evidence_storage().open(name, "rb") as fh:
            pyrage.decrypt_io(fh, sink, newest)
    except pyrage.DecryptError as exc:
        if "No matching keys" in str(exc):
            return None
        raise
    return sink.hexdigest()


def rotate_file(name: str, sha256: str) -> bool:
    """Re-encrypt one file to the newest key; False if it was already. Raises on a mismatch."""
    found = _newest_opens(name)
    if found is not None:
        if sha256 and found != sha256:
            raise ValueError(f"its plaintext hashes to {found}, recorded {sha256}")
        return False
    storage = evidence_storage()
    with storage.open(name, "rb") as encrypted, tempfile.TemporaryFile(
            dir=work_dir(), prefix="qorgau-rotate-") as out:
        keys = identities()
        decrypt = Producer(lambda plain: pyrage.decrypt_io(encrypted, plain, keys))
        hashing = Hashing(decrypt.reader)
        try:
            pyrage.encrypt_io(hashing, out, recipients())
            decrypt.finish()
        except BaseException:
            decrypt.abort()
            if decrypt.error is not None:
                raise decrypt.error from None
            raise
        if sha256 and hashing.hexdigest() != sha256:
            raise ValueError(f"its plaintext hashes to {hashing.hexdigest()}, recorded {sha256}")
        out.seek(0)
        storage.save(name, File(out))  # replaces the file atomically (same name)
    return True


def rotate_files() -> Report:
    report = Report()
    for name, sha256, what in stored_files():
        try:
            if rotate_file(name, sha256):
                report.rotated += 1
            else:
                report.current += 1
        except (OSError, ValueError, pyrage.DecryptError, pyrage.EncryptError) as exc:
            report.failed.append(f"{what}: {exc}")
    return report
