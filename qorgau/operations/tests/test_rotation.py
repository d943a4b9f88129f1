"""rotate-keys: stored files move to the newest evidence key, fields of every app to the
newest data key; afterwards the older keys can go and everything still opens."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from qorgau.bundles import services as bundles
from qorgau.bundles.models import Bundle
from qorgau.cases.verification import verify_all
from qorgau.crypto import generate_key
from qorgau.evidence import services as evidence
from qorgau.evidence import storage
from qorgau.evidence.models import Exhibit
from qorgau.operations.evidence_keys import rotate_file


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path: Path) -> Iterator[Path]:
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    yield settings.QORGAU_EVIDENCE_DIR
    storage.evidence_storage.cache_clear()


def _key() -> str:
    return str(pyrage.x25519.Identity.generate())


def _ingest(case, by, text: bytes, name: str = "note.txt") -> Exhibit:
    return evidence.ingest(case, by, evidence.Upload(io.BytesIO(text), name, title=name))


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate-keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_rotated_evidence_opens_without_the_old_key(settings, case, alice, evidence_dir,
                                                    consent_to):
    old, new = _key(), _key()
    settings.QORGAU_EVIDENCE_KEYS = [old]
    exhibit = _ingest(case, alice, b"what the neighbour saw\n" * 40)
    consent_to(case, alice, "court")
    bundle = bundles.request_bundle(case, alice, "en", sees_restricted=True)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    files = {p: p.read_bytes() for p in evidence_dir.rglob("*.age")}
    assert len(files) == 2

    settings.QORGAU_EVIDENCE_KEYS = [new, old]
    # an interrupted run: one file done, then the command finishes the rest
    assert rotate_file(exhibit.blob.object_name, exhibit.blob.sha256) is True
    assert "1 re-encrypted, 1 already under the newest key" in _rotate("--evidence-only")
    assert all(p.read_bytes() != before for p, before in files.items())
    assert not list(evidence_dir.rglob(".partial-*"))
    assert "0 re-encrypted, 2 already" in _rotate("--evidence-only")

    settings.QORGAU_EVIDENCE_KEYS = [new]  # the old key is gone
    exhibit.refresh_from_db()
    original, sha256 = evidence.open_original(exhibit)
    with original:
        assert original.read() == b"what the neighbour saw\n" * 40
    assert sha256 == exhibit.blob.sha256
    with bundles.open_bundle(bundle, alice) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == bundle.sha256
    assert all(r.problem is None for r in verify_all())


def test_a_file_that_no_longer_matches_its_hash_is_reported_and_kept(settings, case, alice,
                                                                     evidence_dir):
    old, new = _key(), _key()
    settings.QORGAU_EVIDENCE_KEYS = [old]
    exhibit = _ingest(case, alice, b"the original\n" * 10)
    path = evidence_dir / exhibit.blob.object_name
    swapped = pyrage.encrypt(b"something else\n",
                             [pyrage.x25519.Identity.from_str(old).to_public()])
    path.write_bytes(swapped)
    settings.QORGAU_EVIDENCE_KEYS = [new, old]
    with pytest.raises(CommandError, match="1 stored files could not be re-encrypted"):
        _rotate("--evidence-only")
    assert path.read_bytes() == swapped  # not replaced


def test_fields_of_every_app_move_to_the_new_data_key(settings, case, alice):
    old, new = generate_key(), generate_key()
    first = list(settings.QORGAU_DATA_KEYS)  # what the personas' authenticators use
    settings.QORGAU_DATA_KEYS = [old, *first]
    exhibit = _ingest(case, alice, b"a statement\n" * 5, "statement.txt")
    settings.QORGAU_DATA_KEYS = [new, old, *first]
    out = _rotate("--fields-only")
    assert "evidence.Exhibit: 1 rows re-encrypted" in out
    assert "stored files" not in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT title, original_name, metadata_json, salt FROM evidence_exhibit")
        tokens = [t for row in cursor.fetchall() for t in row]
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s", [alice.pk])
        for (data,) in cursor.fetchall():
            data = json.loads(data) if isinstance(data, str) else data
            tokens += [data[k] for k in ("secret", "seed") if k in data]
    every = Authenticator.objects.count()  # TOTP and recovery codes of each persona
    assert f"authenticators (second factor): {every} re-encrypted" in out
    for token in tokens:
        Fernet(new).decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(old).decrypt(token.encode())
    settings.QORGAU_DATA_KEYS = [new]
    assert Exhibit.objects.get(pk=exhibit.pk).title == "statement.txt"
    assert all(r.problem is None for r in verify_all())
