"""Backup and restore, as commands against committed data, on SQLite and PostgreSQL.

A populated instance is written to one encrypted archive, restored into a new, empty
database (a new SQLite file, or a new PostgreSQL database dropped afterwards) and verified
there; damaged, altered, wrong-key and incompatible archives leave the target untouched.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pyrage
import pytest
from django.db import connection

from qorgau.bundles import services as bundles
from qorgau.bundles.models import Bundle
from qorgau.cases import services
from qorgau.cases.checkpoints import create_checkpoint
from qorgau.cases.models import Case, LedgerEntry
from qorgau.conftest import database_url, make_event
from qorgau.crypto import generate_key
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.evidence import services as evidence
from qorgau.evidence import storage
from qorgau.evidence.models import Blob
from qorgau.operations import backup

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path: Path) -> Iterator[Path]:
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "source" / "evidence"
    storage.evidence_storage.cache_clear()
    yield settings.QORGAU_EVIDENCE_DIR
    storage.evidence_storage.cache_clear()


@pytest.fixture
def backup_identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def _env(settings, database: str, data_dir: Path, evidence_dir: Path,
         **extra: str) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QORGAU_", "DATABASE"))}
    return {**env, "QORGAU_ENV": "test", "DATABASE_URL": database,
            "QORGAU_DATA_DIR": str(data_dir), "QORGAU_EVIDENCE_DIR": str(evidence_dir),
            "QORGAU_DATA_KEYS": ",".join(settings.QORGAU_DATA_KEYS),
            "QORGAU_EVIDENCE_KEYS": ",".join(settings.QORGAU_EVIDENCE_KEYS),
            "QORGAU_SIGNING_KEY": settings.QORGAU_SIGNING_KEY, **extra}


def qorgau(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from qorgau.cli import main; main()", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A new database URL on the same server as the test database, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"qorgau_restore_{uuid.uuid4().hex[:12]}"
    server = (f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
              f"{db['PORT'] or 5432}")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}".replace("postgresql://", "postgres://")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def row_count(url: str, table: str) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as db:
            return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as db:
        found = db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
        return int(found[0]) if found else 0


def opened_hashes(folder: Path, settings) -> dict[str, str]:
    """SHA-256 of the plaintext of every stored file, opened with the evidence keys."""
    keys = [pyrage.x25519.Identity.from_str(k) for k in settings.QORGAU_EVIDENCE_KEYS]
    found = {}
    for path in sorted(folder.rglob("*.age")):
        out = io.BytesIO()
        with path.open("rb") as fh:
            pyrage.decrypt_io(fh, out, keys)
        found[str(path.relative_to(folder))] = hashlib.sha256(out.getvalue()).hexdigest()
    return found


def test_round_trip_of_a_populated_instance(committed_db, settings, tmp_path, backup_identity):
    load_demo()
    demo = Case.objects.get(reference=reference_case.REFERENCE)
    lawyer = demo.assignments.get(user__email=email_for("lawyer")).user
    bundle = bundles.request_bundle(demo, lawyer, "ru", sees_restricted=True)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    create_checkpoint()
    make_event(demo, lawyer, kind="hearing", start="2024-05-02", narrative="after checkpoint")
    create_checkpoint()
    recorded = {b.object_name: b.sha256 for b in Blob.objects.all()}
    recorded[bundle.object_name] = bundle.sha256
    entries = LedgerEntry.objects.count()

    source = _env(settings, database_url(), tmp_path / "source",
                  settings.QORGAU_EVIDENCE_DIR,
                  QORGAU_BACKUP_RECIPIENTS=str(backup_identity.to_public()))
    archive = tmp_path / "out" / "instance.tar.age"
    archive.parent.mkdir()
    made = qorgau(source, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr[-3000:]
    assert archive.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in archive.parent.iterdir()] == ["instance.tar.age"]
    assert b"Zhanar" not in archive.read_bytes() and b"DEMO-REF1" not in archive.read_bytes()

    identity = tmp_path / "backup-identity.txt"
    identity.write_text(f"# the backup identity\n{backup_identity}\n")
    with empty_database(tmp_path) as url:
        # Another instance: its own data key (rows are encrypted again under it) and folder.
        target = _env(settings, url, tmp_path / "target", tmp_path / "target" / "evidence",
                      QORGAU_DATA_KEYS=generate_key())
        assert qorgau(target, "migrate", "-v0").returncode == 0
        restored = qorgau(target, "restore", str(archive), "--identity", str(identity))
        assert restored.returncode == 0, restored.stderr[-3000:]
        assert "OK: restored" in restored.stdout
        verified = qorgau(target, "verify")
        assert verified.returncode == 0, verified.stderr
        assert f"{entries} ledger entries checked, 0 broken" in verified.stdout
        checkpoints = qorgau(target, "verify-checkpoints")
        assert checkpoints.returncode == 0, checkpoints.stderr
        assert "OK: 2 checkpoints checked" in checkpoints.stdout
        # the name index works under the new data key; new rows get fresh ids (sequences)
        shell = qorgau(target, "shell", "-c", (
            "from qorgau.accounts.models import Organisation, User;"
            "from qorgau.cases import services; from qorgau.cases.models import Case, Event;"
            "print(sorted(c.reference for c in services.search_cases_by_name("
            f"Case.objects.all(), {demo.parties.first().full_name!r})));"
            "print(Event.objects.order_by('-pk').first().narrative);"
            "org = Organisation.objects.get(slug='demo');"
            f"user = User.objects.get(email={lawyer.email!r});"
            "print('new case', services.create_case(org, user, region='kz-west').pk);"
            # the second factor survives the new data key (its secret was re-encrypted)
            "from allauth.mfa.models import Authenticator;"
            f"totp = Authenticator.objects.get(user=user, type='totp');"
            # the code is computed from the demo's plaintext secret in the same process, so a
            # 30-second window cannot turn between computing and checking it
            "from qorgau.accounts.allauth_bridge import totp_code;"
            "from qorgau.demo.loader import TOTP_SECRET;"
            "print('code accepted', totp.wrap().validate_code(totp_code(TOTP_SECRET)))"))
        assert shell.returncode == 0, shell.stderr[-3000:]
        assert demo.reference in shell.stdout and "after checkpoint" in shell.stdout
        assert "code accepted True" in shell.stdout
        assert f"new case {Case.objects.order_by('-pk').first().pk + 1}" in shell.stdout
        assert qorgau(target, "verify").returncode == 0
        assert opened_hashes(tmp_path / "target" / "evidence", settings) == recorded
        # restoring twice is refused: the database is no longer empty
        again = qorgau(target, "restore", str(archive), "--identity", str(identity))
        assert again.returncode != 0 and "not empty" in again.stderr


def _small_instance(org, alice) -> Case:
    case = services.create_case(org, alice, region="kz-west")
    services.add_party(case, alice, role="survivor", full_name="Aigerim Backup")
    make_event(case, alice, narrative="kept in the backup")
    evidence.ingest(case, alice, evidence.Upload(io.BytesIO(b"a letter, kept as evidence\n" * 50),
                                                 "letter.txt", title="A letter"))
    create_checkpoint()
    return case


def _reencrypted(archive: Path, identity, change: tuple[bytes, bytes]) -> bytes:
    """The archive decrypted, one value changed (same length) and encrypted again: what a
    holder of the backup's public key could forge. Only the manifest's hashes catch it."""
    plain = pyrage.decrypt(archive.read_bytes(), [identity])
    assert change[0] in plain
    return pyrage.encrypt(plain.replace(change[0], change[1], 1), [identity.to_public()])


def test_bad_archives_and_targets_leave_nothing_behind(committed_db, settings, tmp_path,
                                                       backup_identity, org, alice,
                                                       monkeypatch):
    _small_instance(org, alice)
    good = tmp_path / "good.tar.age"
    backup.write_backup(good, [str(backup_identity.to_public())])
    data = good.read_bytes()
    bad = {
        "wrong key": (data, "encrypted to another key"),
        "truncated": (data[: len(data) // 2], "damaged, cut short or altered"),
        "tampered": (data[:4000] + bytes([data[4000] ^ 1]) + data[4001:],
                     "damaged, cut short or altered"),
        "not age": (b"hello " * 100, "not an age-encrypted backup"),
        "altered row": (_reencrypted(good, backup_identity, (b"Test Crisis Centre",
                                                             b"Test Crisis Centra")),
                        "does not match its SHA-256 in the manifest"),
        "unknown table": (_reencrypted(good, backup_identity,
                                       (b'"model": "accounts.organisation"',
                                        b'"model": "accounts.organisatiox"')),
                          "rows cannot be loaded here"),
    }
    monkeypatch.setattr(backup, "migration_state", lambda: ["cases.0001_initial"])
    older = tmp_path / "older.tar.age"
    backup.write_backup(older, [str(backup_identity.to_public())])
    monkeypatch.undo()
    bad["migrations"] = (older.read_bytes(), "another database migration state")

    identity = tmp_path / "identity"
    identity.write_text(str(backup_identity))
    other = tmp_path / "other-identity"
    other.write_text(str(pyrage.x25519.Identity.generate()))
    with empty_database(tmp_path) as url:
        evidence_dir = tmp_path / "target" / "evidence"
        target = _env(settings, url, tmp_path / "target", evidence_dir)
        assert qorgau(target, "migrate", "-v0").returncode == 0
        for label, (content, message) in bad.items():
            path = tmp_path / f"{label.replace(' ', '-')}.tar.age"
            path.write_bytes(content)
            key = other if label == "wrong key" else identity
            result = qorgau(target, "restore", str(path), "--identity", str(key))
            assert result.returncode != 0, label
            assert message in result.stderr, (label, result.stderr[-2000:])
            assert "Traceback" not in result.stderr, label
            for table in ("accounts_user", "cases_case", "cases_ledgerentry",
                          "cases_checkpoint", "evidence_blob"):
                assert row_count(url, table) == 0, (label, table)
            assert not [p for p in evidence_dir.rglob("*") if p.is_file()], label
        # evidence keys that do not open the stored files: refused before anything commits
        wrong_keys = {**target,
                      "QORGAU_EVIDENCE_KEYS": str(pyrage.x25519.Identity.generate())}
        result = qorgau(wrong_keys, "restore", str(good), "--identity", str(identity))
        assert result.returncode != 0 and "QORGAU_EVIDENCE_KEYS" in result.stderr
        assert row_count(url, "cases_case") == 0
        assert not [p for p in evidence_dir.rglob("*") if p.is_file()]
        # another signing key: the checkpoints could not be verified, so it is refused
        from qorgau.keys import new_signing_key_pem

        result = qorgau({**target, "QORGAU_SIGNING_KEY": new_signing_key_pem()}, "restore",
                        str(good), "--identity", str(identity))
        assert result.returncode != 0 and "QORGAU_SIGNING_KEY" in result.stderr
        # no identity at all: a plain answer
        result = qorgau(target, "restore", str(good))
        assert result.returncode != 0 and "backup identity is needed" in result.stderr
        # and after all that, the good archive restores (the environment variable works too)
        result = qorgau({**target, "QORGAU_BACKUP_IDENTITY": str(backup_identity)},
                        "restore", str(good))
        assert result.returncode == 0, result.stderr[-3000:]
        assert qorgau(target, "verify").returncode == 0


def test_restore_refuses_an_unmigrated_database(committed_db, settings, tmp_path,
                                                backup_identity, org, alice):
    _small_instance(org, alice)
    good = tmp_path / "good.tar.age"
    backup.write_backup(good, [str(backup_identity.to_public())])
    with empty_database(tmp_path) as url:
        target = _env(settings, url, tmp_path / "target", tmp_path / "target" / "evidence",
                      QORGAU_BACKUP_IDENTITY=str(backup_identity))
        result = qorgau(target, "restore", str(good))
        assert result.returncode != 0 and "not fully migrated" in result.stderr


def test_backup_is_written_whole_or_not_at_all(db, settings, tmp_path, org, alice):
    _small_instance(org, alice)
    target = tmp_path / "b.tar.age"
    with pytest.raises(backup.BackupError, match="not an age public key"):
        backup.write_backup(target, ["age1notakey"])
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "elsewhere"  # the stored file is missing
    storage.evidence_storage.cache_clear()
    with pytest.raises(backup.BackupError, match="(?s)no backup was written.*: MISSING"):
        backup.write_backup(target, [str(pyrage.x25519.Identity.generate().to_public())])
    assert list(tmp_path.glob("*b.tar.age*")) == []


MEASURED = ("import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_kib(env: dict[str, str], *args: str) -> int:
    """The peak resident memory (KiB) of one `qorgau` command."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURED, sys.executable, "-c",
         "from qorgau.cli import main; main()", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.split()[-1])


def test_a_large_evidence_file_streams_through(committed_db, settings, tmp_path,
                                               backup_identity, org, alice):
    """Backup and restore of a 96 MB exhibit stay far below its size in memory."""
    case = _small_instance(org, alice)
    big = tmp_path / "large.txt"
    line = b"a long statement, line after line, kept as evidence.\n"
    with big.open("wb") as fh:
        for _ in range(96 * 1024 * 1024 // len(line)):
            fh.write(line)
    with big.open("rb") as fh:
        exhibit = evidence.ingest(case, alice, evidence.Upload(fh, "large.txt"))
    size = exhibit.blob.size
    source = _env(settings, database_url(), tmp_path / "source",
                  settings.QORGAU_EVIDENCE_DIR,
                  QORGAU_BACKUP_RECIPIENTS=str(backup_identity.to_public()))
    baseline = peak_kib(source, "verify")
    archive = tmp_path / "large.tar.age"
    written = peak_kib(source, "backup", "--output", str(archive))
    assert archive.stat().st_size > size
    with empty_database(tmp_path) as url:
        target = _env(settings, url, tmp_path / "target", tmp_path / "target" / "evidence",
                      QORGAU_BACKUP_IDENTITY=str(backup_identity))
        assert qorgau(target, "migrate", "-v0").returncode == 0
        restored = peak_kib(target, "restore", str(archive))
    limit = baseline + size // 1024 // 3
    assert written < limit and restored < limit, (baseline, written, restored, size // 1024)

