"""One encrypted archive of the instance: the database and every stored evidence file.

The archive is a tar stream, encrypted with age to the backup recipients as it is written:

  header.json             format, version, Qorgau version, migration state, signing key
  database/00001.jsonl    every row of every table (but sessions), Django's JSON Lines
  ...                     (chunks of a few MB; encrypted fields in plaintext, see below)
  evidence/<object name>  each evidence and bundle file as stored (age-encrypted already)
  manifest.json           the header's fields, row and file counts, SHA-256 of every member

Encrypted fields are written as plaintext (inside the age encryption of the archive), so a
restore needs the backup identity but not the old QORGAU_DATA_KEYS: the rows are encrypted
again under the restoring instance's newest data key. Evidence files stay as stored: opening
them needs an evidence key (QORGAU_EVIDENCE_KEYS) they were encrypted to. See
docs/operations.md for what that means for key custody.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any, cast

import pyrage
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files import File
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from qorgau.accounts import mfa_secrets
from qorgau.accounts.models import User
from qorgau.bundles.models import Bundle
from qorgau.cases.checkpoints import instance_public_key, verify_checkpoints
from qorgau.cases.models import Case, Party
from qorgau.cases.verification import verify_all
from qorgau.evidence import integrity
from qorgau.evidence.models import Blob
from qorgau.evidence.services import identities as evidence_identities
from qorgau.evidence.services import work_dir
from qorgau.evidence.storage import evidence_storage
from qorgau.fields import keyring
from qorgau.operations.streams import Consumer, Hashing, HashingSink, Producer

FORMAT = "qorgau-backup"
VERSION = 1
HEADER = "header.json"
MANIFEST = "manifest.json"
DATABASE = "database/"
EVIDENCE = "evidence/"
CHUNK = 1024 * 1024
DATABASE_MEMBER_CHARS = 4 * 1024 * 1024  # rows are written in members of about this size
MAX_JSON_MEMBER = 16 * 1024 * 1024  # header and manifest
# logins do not survive a restore; workers' heartbeats belong to the running instance
EXCLUDED = {"sessions.session", "operations.workerbeat"}
# created by `migrate` in the target; replaced by the backup's rows (same ids)
REPLACED = (Permission, ContentType)
OBJECT_NAME = re.compile(r"^[0-9]+/[A-Za-z0-9][A-Za-z0-9._-]*\.age$")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why in plain words."""


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; the ledger's records need all digits."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | clock):
            return o.isoformat()
        return super().default(o)


def qorgau_version() -> str:
    try:
        return version("qorgau")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without install
        return "unknown"


def dumped_models() -> list[type[models.Model]]:
    """Every table of every app (but sessions), parents before the rows that point at them."""
    app_list = [(config, [m for m in config.get_models()
                          if m._meta.managed and not m._meta.proxy
                          and m._meta.label_lower not in EXCLUDED])
                for config in apps.get_app_configs()]
    return serializers.sort_dependencies([a for a in app_list if a[1]], allow_cycles=True)


def migration_state() -> list[str]:
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted(f"{app}.{name}" for app, name in applied)


def _header() -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "created_at": timezone.now().isoformat(),
            "qorgau_version": qorgau_version(), "database": connection.vendor,
            "migrations": migration_state(), "signing_public_key": instance_public_key()}


# -- writing ----------------------------------------------------------------------------


class _Writer:
    """Adds members to the tar stream and remembers their SHA-256 and size."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members: list[dict[str, Any]] = []
        self.mtime = int(time.time())

    def add(self, name: str, size: int, source: IO[bytes]) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, self.mtime
        hashing = Hashing(source)
        self.tar.addfile(info, hashing)
        if hashing.size != size:
            raise BackupError(f"{name} changed size while it was being read")
        self.members.append({"name": name, "sha256": hashing.hexdigest(), "size": size})

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add(name, len(data), io.BytesIO(data))


class _DatabaseMembers:
    """A text stream for Django's serializer, cut into tar members of bounded size."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer
        self.parts: list[str] = []
        self.chars = 0
        self.count = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.chars += len(text)
        if text.endswith("\n") and self.chars >= DATABASE_MEMBER_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.count += 1
            self.writer.add_bytes(f"{DATABASE}{self.count:05d}.jsonl",
                                  "".join(self.parts).encode("utf-8"))
            self.parts, self.chars = [], 0


def _counted(rows: Iterator[models.Model], counts: dict[str, int], label: str
             ) -> Iterator[models.Model]:
    for row in rows:
        counts[label] += 1
        if isinstance(row, Authenticator):
            mfa_secrets.reveal(row)  # like the encrypted fields: plaintext in the archive
        yield row


def _stored_files() -> list[str]:
    blobs = Blob.objects.order_by("pk").values_list("object_name", flat=True)
    bundles = (Bundle.objects.exclude(object_name="").order_by("pk")
               .values_list("object_name", flat=True))
    return list(dict.fromkeys([*blobs, *bundles]))


def _write_archive(plain: IO[bytes]) -> dict[str, Any]:
    with tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        writer = _Writer(tar)
        counts: dict[str, int] = {}
        # One consistent snapshot of the database (rows and the list of stored files).
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            header = _header()
            writer.add_bytes(HEADER, json.dumps(header, indent=1).encode())
            stream = _DatabaseMembers(writer)
            serializer = serializers.get_serializer("jsonl")()
            for model in dumped_models():
                label = model._meta.label_lower
                counts[label] = 0
                rows = model._base_manager.order_by("pk").iterator(chunk_size=1000)
                serializer.serialize(_counted(rows, counts, label), stream=cast(IO[str], stream),
                                     cls=_Encoder)
            stream.flush()
            files = _stored_files()
            _refuse_damaged(list(Blob.objects.order_by("pk").values_list("pk", flat=True)))
        storage = evidence_storage()
        total = 0
        for name in files:
            try:
                size = storage.size(name)
                fh = storage.open(name, "rb")
            except FileNotFoundError as exc:
                raise BackupError(f"The stored file {name} is missing from the evidence "
                                  "storage; no backup was written.") from exc
            with fh:
                writer.add(EVIDENCE + name, size, fh)
            total += size
        manifest = {**header, "counts": {"rows": counts, "files": len(files),
                                         "file_bytes": total},
                    "members": writer.members}
        tar.addfile(_info(MANIFEST, manifest), io.BytesIO(_json(manifest)))
    return manifest


def _refuse_damaged(blob_ids: list[int]) -> None:
    """Open and hash every exhibit file before it is packed: a damaged, missing or swapped
    one stops the backup, named (a backup that cannot be restored is worse than none)."""
    bad = [check.describe() for check in integrity.check_blobs(blob_ids) if check.problem]
    if bad:
        raise BackupError(
            f"{len(bad)} stored exhibit file(s) are damaged, missing or swapped; no backup was "
            "written. Restore them from an earlier backup (restore --skip-damaged brings back "
            "the rest), then back up again:\n  " + "\n  ".join(bad))


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=1).encode()


def _info(name: str, data: Any) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(_json(data)), 0o600, int(time.time())
    return info


STALE_PARTIAL_SECONDS = 3600


def remove_stale_partials(folder: Path, older_than: float = STALE_PARTIAL_SECONDS) -> list[Path]:
    """Remove the half-written archives (`.NAME.XXXX.partial`) a killed backup left in
    `folder`: those untouched for `older_than` seconds (a running backup keeps writing
    to its own). Returns what was removed."""
    removed = []
    limit = time.time() - older_than
    for stale in folder.glob(".*.partial"):
        with contextlib.suppress(OSError):
            if stale.is_file() and stale.stat().st_mtime < limit:
                stale.unlink()
                removed.append(stale)
    return removed


def write_backup(output: Path, recipients: list[str]) -> dict[str, Any]:
    """Write the archive to `output` (0600, atomically: complete or absent); its manifest."""
    try:
        keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    except pyrage.RecipientError as exc:
        raise BackupError(f"a backup recipient is not an age public key: {exc}") from exc
    output = Path(output).absolute()
    if output.is_dir():
        raise BackupError(f"{output} is a folder; name the archive file to write")
    remove_stale_partials(output.parent)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.",
                               suffix=".partial")
    os.fchmod(fd, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            encrypt = Consumer(lambda plain: pyrage.encrypt_io(plain, out, keys))
            try:
                manifest = _write_archive(encrypt.writer)
            except BaseException as exc:
                with contextlib.suppress(BaseException):
                    encrypt.finish()
                if isinstance(exc, BrokenPipeError) and encrypt.error is not None:
                    raise BackupError(f"The archive cannot be encrypted and written: "
                                      f"{encrypt.error}") from encrypt.error
                raise
            encrypt.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return manifest


# -- restoring --------------------------------------------------------------------------


def check_target() -> None:
    """Refuse unless this database is fully migrated and holds no data."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError("The database is not fully migrated. Run `qorgau migrate` first, "
                          "then restore into it.")
    rows = sum(model._base_manager.count() for model in dumped_models()
               if model not in REPLACED)
    if rows:
        raise BackupError(
            f"The database is not empty: it holds {Case.objects.count()} cases, "
            f"{User.objects.count()} users and {rows} rows in all. A backup is restored only "
            "into a new, migrated, empty database; nothing was changed.")


def _read_json(tar: tarfile.TarFile, member: tarfile.TarInfo) -> tuple[Any, str]:
    if not member.isfile() or member.size > MAX_JSON_MEMBER:
        raise BackupError(f"{member.name} in the archive is not what a backup holds")
    fh = tar.extractfile(member)
    assert fh is not None
    hashing = Hashing(fh)
    data = hashing.read()
    try:
        return json.loads(data), hashing.hexdigest()
    except ValueError as exc:
        raise BackupError(f"{member.name} in the archive is not JSON") from exc


def _check_header(header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not a Qorgau backup.")
    if header.get("version") != VERSION:
        raise BackupError(f"This backup has format version {header.get('version')!r}; this "
                          f"Qorgau reads version {VERSION}.")
    ours, theirs = migration_state(), header.get("migrations")
    if not isinstance(theirs, list) or not all(isinstance(m, str) for m in theirs):
        raise BackupError("The backup's header does not say its migration state.")
    if theirs != ours:
        missing = sorted(set(theirs) - set(ours))
        extra = sorted(set(ours) - set(theirs))
        raise BackupError(
            "The backup was made at another database migration state "
            f"(Qorgau {header.get('qorgau_version')}); "
            + (f"this instance lacks {', '.join(missing[:5])}; " if missing else "")
            + (f"the backup lacks {', '.join(extra[:5])}; " if extra else "")
            + "restore with the Qorgau version that made the backup, then upgrade.")
    if header.get("signing_public_key") != instance_public_key():
        raise BackupError(
            "QORGAU_SIGNING_KEY here is not the key that signed this instance's checkpoints. "
            "Set it to the original instance's signing key (see docs/operations.md), or the "
            "restored checkpoints cannot be verified.")


class _Restore:
    def __init__(self, skip_damaged: bool = False) -> None:
        self.skip_damaged = skip_damaged
        self.skipped: list[str] = []  # what could not be restored, in words
        self.digests: dict[str, tuple[str, int]] = {}
        self.rows: dict[str, int] = {}
        self.written: list[str] = []
        self.labels = {m._meta.label_lower for m in dumped_models()}
        self.manifest: Any = None

    def load_rows(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        fh = tar.extractfile(member)
        assert fh is not None
        hashing = Hashing(fh)
        text = io.TextIOWrapper(io.BufferedReader(hashing), encoding="utf-8", newline="\n")
        for row in serializers.deserialize("jsonl", text, ignorenonexistent=False):
            label = row.object._meta.label_lower
            if label not in self.labels:
                raise BackupError(f"the archive holds rows of {label}, which is not restored")
            if isinstance(row.object, Authenticator):
                mfa_secrets.seal(row.object)
            row.save(force_insert=True)
            self.rows[label] = self.rows.get(label, 0) + 1
        self.digests[member.name] = (hashing.hexdigest(), hashing.size)

    def write_file(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        name = member.name[len(EVIDENCE):]
        if not OBJECT_NAME.match(name) or ".." in name:
            raise BackupError(f"the archive holds a file with an unexpected name: {name!r}")
        storage = evidence_storage()
        if storage.exists(name):
            raise BackupError(f"The evidence storage already holds {name}; restore only into "
                              "an empty evidence storage.")
        fh = tar.extractfile(member)
        assert fh is not None
        hashing = Hashing(fh)
        with tempfile.TemporaryFile(dir=work_dir(), prefix="qorgau-restore-") as copy:
            while chunk := hashing.read(CHUNK):
                copy.write(chunk)
            copy.seek(0)
            self.written.append(name)
            storage.save(name, File(copy))
        self.digests[member.name] = (hashing.hexdigest(), hashing.size)

    def check_manifest(self) -> None:
        manifest = self.manifest
        if not isinstance(manifest, dict) or not isinstance(manifest.get("members"), list):
            raise BackupError("The backup has no manifest: it is cut short or not a backup.")
        listed = {}
        for entry in manifest["members"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BackupError("The backup's manifest cannot be read.")
            listed[entry.get("name")] = (entry.get("sha256"), entry.get("size"))
        if set(listed) != set(self.digests):
            differ = sorted(set(listed) ^ set(self.digests), key=str)
            raise BackupError("The backup does not hold what its manifest lists "
                              f"({', '.join(map(str, differ[:5]))}).")
        for name, found in self.digests.items():
            if listed[name] != found:
                raise BackupError(f"{name} in the backup does not match its SHA-256 in the "
                                  "manifest: the archive was altered.")
        counts = manifest.get("counts", {}).get("rows", {})
        if {k: v for k, v in counts.items() if v} != self.rows:
            raise BackupError("The rows restored differ in number from the manifest's count.")


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), dumped_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _rebuild_name_index() -> None:
    """The name index is keyed with the data key: rebuild it under this instance's key."""
    ring = keyring()
    for party in Party.objects.order_by("pk").only("full_name").iterator(chunk_size=500):
        Party.objects.filter(pk=party.pk).update(name_index=ring.blind_index(party.full_name))


def _check_files_open(state: _Restore) -> None:
    """Every evidence and bundle file opens with this instance's evidence keys, unchanged.
    With `skip_damaged`, a damaged one is removed again and listed instead."""
    storage = evidence_storage()
    wanted = [(b.object_name, b.sha256, _exhibits_of(b))
              for b in Blob.objects.select_related("case").order_by("pk")]
    wanted += [(b.object_name, b.sha256, f"bundle {b.pk}")
               for b in Bundle.objects.exclude(object_name="").order_by("pk")]
    keys = evidence_identities()
    for name, sha256, what in wanted:
        sink = HashingSink()
        try:
            with storage.open(name, "rb") as fh:
                pyrage.decrypt_io(fh, sink, keys)
        except pyrage.DecryptError as exc:
            if "No matching keys" in str(exc) or not state.skip_damaged:
                raise BackupError(
                    f"The {what} cannot be opened with QORGAU_EVIDENCE_KEYS here ({exc}). Add "
                    "the evidence key(s) of the original instance (see docs/operations.md), or "
                    "if it is damaged, restore with --skip-damaged.") from exc
            _skip(state, name, f"{what}: damaged (it does not decrypt)")
            continue
        except OSError as exc:
            if not state.skip_damaged:
                raise BackupError(f"The {what} is damaged: {exc}. Restore with "
                                  "--skip-damaged to bring back everything else.") from exc
            _skip(state, name, f"{what}: damaged ({exc.strerror or exc})")
            continue
        if sha256 and sink.hexdigest() != sha256:
            if not state.skip_damaged:
                raise BackupError(f"The {what} does not hash to the SHA-256 recorded for it. "
                                  "Restore with --skip-damaged to bring back everything "
                                  "else.")
            _skip(state, name, f"{what}: damaged (its bytes do not hash to their record)")


def _exhibits_of(blob: Blob) -> str:
    numbers = ", ".join(str(n) for n in blob.exhibits.order_by("number")
                        .values_list("number", flat=True)) or "-"
    return f"exhibit file of case {blob.case.reference} exhibit {numbers} ({blob.object_name})"


def _skip(state: _Restore, name: str, why: str) -> None:
    """Leave a damaged file out of the restored storage; its record stays (and `verify`
    names it as missing until it is put back from another copy)."""
    evidence_storage().delete(name)
    if name in state.written:
        state.written.remove(name)
    state.skipped.append(why)


def _check_integrity() -> None:
    for report in verify_all():
        if report.problem:
            raise BackupError(f"After loading, case {report.reference} does not verify "
                              f"({report.problem.reason}); nothing was restored.")
    problems = verify_checkpoints()
    if problems:
        raise BackupError(f"After loading, the checkpoints do not verify ({problems[0]}); "
                          "nothing was restored.")


def _decrypt_error(exc: BaseException) -> BackupError:
    if isinstance(exc, pyrage.DecryptError) and "No matching keys" in str(exc):
        return BackupError("The backup cannot be opened with the identity given: it was "
                           "encrypted to another key.")
    if isinstance(exc, pyrage.DecryptError):
        return BackupError(f"The file is not an age-encrypted backup ({exc}).")
    return BackupError("The backup is damaged, cut short or altered: its encryption does not "
                       f"check out ({exc}). Nothing was restored.")


def restore_backup(archive: Path, identities: list[str],
                   skip_damaged: bool = False) -> dict[str, Any]:
    """Load an archive into this empty instance, all or nothing; returns its manifest.
    With `skip_damaged`, evidence files that do not open or hash to their record are left
    out and the rest restored; the manifest's "skipped" lists them."""
    try:
        keys = [pyrage.x25519.Identity.from_str(k) for k in identities]
    except pyrage.IdentityError as exc:
        raise BackupError(f"the backup identity is not an age secret key: {exc}") from exc
    check_target()
    state = _Restore(skip_damaged)
    try:
        with open(archive, "rb") as encrypted:
            decrypt = Producer(lambda plain: pyrage.decrypt_io(encrypted, plain, keys))
            try:
                with transaction.atomic():
                    _load(decrypt.reader, state)
                    decrypt.finish()  # the age stream authenticated to its end
                    state.check_manifest()
                    _reset_sequences()
                    ContentType.objects.clear_cache()
                    _rebuild_name_index()
                    _check_files_open(state)
                    _check_integrity()
            except BaseException as exc:
                decrypt.abort()
                if decrypt.error is not None:  # the root cause: report it, not its echo
                    raise _decrypt_error(decrypt.error) from exc
                raise
    except (tarfile.TarError, EOFError, UnicodeDecodeError) as exc:
        _remove(state.written)
        raise BackupError(f"The backup is not a complete archive ({exc}).") from exc
    except (DeserializationError, DatabaseError) as exc:
        _remove(state.written)
        raise BackupError(f"The backup's rows cannot be loaded here ({exc}); nothing was "
                          "restored.") from exc
    except BaseException:
        _remove(state.written)
        raise
    manifest: dict[str, Any] = state.manifest
    manifest["skipped"] = state.skipped
    return manifest


def _remove(names: list[str]) -> None:
    storage = evidence_storage()
    for name in names:
        storage.delete(name)


def _load(plain: IO[bytes], state: _Restore) -> None:
    with tarfile.open(fileobj=plain, mode="r|") as tar:
        first = True
        for member in tar:
            if first:
                if member.name != HEADER:
                    raise BackupError("This is not a Qorgau backup (it has no header).")
                header, digest = _read_json(tar, member)
                _check_header(header)
                state.digests[HEADER] = (digest, member.size)
                # contenttypes and permissions come from the backup, with their ids
                for model in REPLACED:
                    model._base_manager.all().delete()
                first = False
            elif state.manifest is not None:
                raise BackupError("The archive goes on after its manifest.")
            elif member.name == MANIFEST:
                state.manifest, _digest = _read_json(tar, member)
            elif not member.isfile():
                raise BackupError(f"{member.name} in the archive is not a file")
            elif member.name.startswith(DATABASE):
                state.load_rows(tar, member)
            elif member.name.startswith(EVIDENCE):
                state.write_file(tar, member)
            else:
                raise BackupError(f"{member.name} in the archive is not what a backup holds")
        if first:
            raise BackupError("The archive is empty.")


def default_identity_file() -> Path:
    return Path(settings.DATA_DIR) / "backup_identity"
