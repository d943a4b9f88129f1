"""One damaged exhibit file: `backup` refuses to pack it (test_integrity); an archive made
before that check holds it, and `restore --skip-damaged` brings back everything else and
lists the file it could not, keeping its record."""

from __future__ import annotations

import io

import pyrage
import pytest

from qorgau.cases import services
from qorgau.cases.checkpoints import create_checkpoint
from qorgau.conftest import make_event
from qorgau.evidence import services as evidence
from qorgau.evidence import storage
from qorgau.operations import backup
from qorgau.operations.tests.test_backup import _env, empty_database, qorgau


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "source" / "evidence"
    storage.evidence_storage.cache_clear()
    yield settings.QORGAU_EVIDENCE_DIR
    storage.evidence_storage.cache_clear()


@pytest.fixture
def backup_identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def test_restore_skip_damaged_restores_the_rest(committed_db, settings, tmp_path,
                                                backup_identity, org, alice, monkeypatch):
    case = services.create_case(org, alice, region="kz-west")
    make_event(case, alice, narrative="kept in the backup")
    kept = evidence.ingest(case, alice, evidence.Upload(
        io.BytesIO(b"a letter, kept as evidence\n" * 50), "letter.txt"))
    broken = evidence.ingest(case, alice, evidence.Upload(
        io.BytesIO(b"a photo's bytes\n" * 80), "photo.txt"))
    create_checkpoint()
    stored = settings.QORGAU_EVIDENCE_DIR / broken.blob.object_name
    data = bytearray(stored.read_bytes())
    data[-20] ^= 0x01  # one flipped bit
    stored.write_bytes(bytes(data))
    # An archive made before backups checked what they pack.
    monkeypatch.setattr(backup, "_refuse_damaged", lambda ids: None)
    archive = tmp_path / "old.tar.age"
    backup.write_backup(archive, [str(backup_identity.to_public())])

    with empty_database(tmp_path) as url:
        target = _env(settings, url, tmp_path / "target", tmp_path / "target" / "evidence",
                      QORGAU_BACKUP_IDENTITY=str(backup_identity))
        assert qorgau(target, "migrate", "-v0").returncode == 0
        restored = qorgau(target, "restore", str(archive), "--skip-damaged")
        assert restored.returncode == 0, restored.stderr[-3000:]
        assert "OK: restored" in restored.stdout
        assert (f"NOT RESTORED: exhibit file of case {case.reference} exhibit 2 "
                f"({broken.blob.object_name})") in restored.stderr
        assert kept.blob.object_name not in restored.stderr
        assert (tmp_path / "target" / "evidence" / kept.blob.object_name).exists()
        assert not (tmp_path / "target" / "evidence" / broken.blob.object_name).exists()
        # its record is kept: `verify --evidence` names it as missing (test_integrity)
