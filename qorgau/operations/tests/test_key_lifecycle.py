"""Trustees change (issue 29): the keys split anew among new trustees without encrypting
the data again, and the data keys rotated under a new key-encryption key; each time the
old shares stop opening the keys, and everything still decrypts."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from qorgau import trustees
from qorgau.accounts import orgledger
from qorgau.accounts.models import Organisation, OrganisationEntry
from qorgau.cases.models import Party
from qorgau.cases.verification import verify_all
from qorgau.evidence import services as evidence
from qorgau.evidence import storage
from qorgau.keys import WRAPPED_KEYS_FILE
from qorgau.operations import custody, keywrap


@pytest.fixture
def trustee(settings, tmp_path: Path, db, monkeypatch) -> Iterator[tuple[trustees.InstanceKeys,
                                                                       list[str]]]:
    """This test instance wrapped by `wrap-keys` (2 of 3), then in trustee custody."""
    monkeypatch.setattr(custody, "exit_on_lock", False)  # `unlock CMD` sets it; not here
    original = trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                     list(settings.QORGAU_EVIDENCE_KEYS),
                                     settings.QORGAU_SIGNING_KEY)
    settings.DATA_DIR = tmp_path / "data"
    out = io.StringIO()
    call_command("wrap-keys", "--threshold", "2", "--shares", "3", stdout=out)
    settings.QORGAU_KEY_CUSTODY = "trustees"
    custody.drop_keys()
    yield original, _shares(out.getvalue())
    custody.drop_keys()


@pytest.fixture
def evidence_dir(settings, tmp_path: Path) -> Iterator[Path]:
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    yield settings.QORGAU_EVIDENCE_DIR
    storage.evidence_storage.cache_clear()


def _shares(output: str) -> list[str]:
    return re.findall(r"share \d+:\n(.+)", output)


def _under_unlock(monkeypatch, shares: list[str], *command: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{s}\n" for s in shares)))
    out = io.StringIO()
    call_command("unlock", *command, stdout=out)
    custody.exit_on_lock = False
    return out.getvalue()


def _opens(shares: list[str]) -> trustees.InstanceKeys:
    document = (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text()
    return trustees.unwrap(document, trustees.combine(shares))


def _tokens_in_the_database() -> list[str]:
    """Every Fernet token stored anywhere (raw SQL: nothing decrypted on the way)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                found += re.findall(r"gAAAAA[A-Za-z0-9_\-]+=*", str(row))
    return found


def _noted(how: str) -> list[OrganisationEntry]:
    notes = list(OrganisationEntry.objects.filter(action=keywrap.REWRAPPED_NOTE))
    assert [n.detail["how"] for n in notes] == [how] * Organisation.objects.count()
    assert all(report.problem is None for report in orgledger.verify_all())
    return notes


def test_resplit_new_trustees_open_the_same_keys_and_old_shares_do_not(
        survivor, trustee, client, monkeypatch):
    original, old_shares = trustee
    before = (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text()
    out = _under_unlock(monkeypatch, [old_shares[0], old_shares[2]],
                        "wrap-keys", "--resplit", "--threshold", "3", "--shares", "5")
    new_shares = _shares(out)
    assert len(new_shares) == 5 and not set(new_shares) & set(old_shares)
    assert "old shares no longer open them" in out
    assert (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text() != before
    notes = _noted("resplit")
    assert notes[0].detail["threshold"] == 3 and notes[0].detail["shares"] == 5
    assert not any(share.split()[4] in str(n.detail) for n in notes for share in new_shares)
    custody.drop_keys()

    # The old trustees: their shares still fit together, but open nothing here.
    client.post("/unlock/", {"share": old_shares[0]})
    refused = client.post("/unlock/", {"share": old_shares[1]})
    assert refused.status_code == 400 and b"do not open this instance" in refused.content
    assert custody.locked()
    # The new trustees: 2 are not enough any more, 3 open the very same keys.
    for share in new_shares[1:3]:
        client.post("/unlock/", {"share": share})
    assert custody.locked()
    assert b"The instance is open" in client.post("/unlock/", {"share": new_shares[4]}).content
    assert _opens(new_shares[2:]) == original
    assert original.data_keys == settings.QORGAU_DATA_KEYS
    assert Party.objects.get(pk=survivor.pk).full_name == "Zhanar Testbayeva"


def test_resplit_needs_the_keys_open(trustee):
    with pytest.raises(Exception, match="not open in this process"):
        call_command("wrap-keys", "--resplit", stdout=io.StringIO())


def test_rotation_under_a_new_kek(case, alice, survivor, evidence_dir, trustee, monkeypatch):
    original, old_shares = trustee
    custody.install(original)  # the data written before the rotation, under the old keys
    exhibit = evidence.ingest(case, alice, evidence.Upload(
        io.BytesIO(b"what the neighbour saw\n" * 20), "note.txt", title="note.txt"))
    stored = {p: p.read_bytes() for p in evidence_dir.rglob("*.age")}
    custody.drop_keys()
    generation = custody.generation()

    out = _under_unlock(monkeypatch, old_shares[1:], "rotate-keys", "--new-kek")
    assert "OK: only the new keys are kept" in out, out
    new_shares = _shares(out)
    assert len(new_shares) == 3
    assert custody.generation() == generation + 1  # every other process dropped the old keys
    _noted("rotation")

    rotated = _opens(new_shares[:2])
    assert len(rotated.data_keys) == len(rotated.evidence_keys) == 1
    assert rotated.data_keys[0] not in original.data_keys
    assert rotated.evidence_keys[0] not in original.evidence_keys
    assert rotated.signing_key == original.signing_key
    with pytest.raises(trustees.ShareError, match="do not open"):
        _opens(old_shares[:2])

    tokens = _tokens_in_the_database()
    assert tokens  # the survivor's name, the exhibit's title, the authenticators ...
    for token in tokens:
        Fernet(rotated.data_keys[0]).decrypt(token.encode())
        for old in original.data_keys:
            with pytest.raises(InvalidToken):
                Fernet(old).decrypt(token.encode())
    assert all(p.read_bytes() != before for p, before in stored.items())

    custody.drop_keys()
    custody.install(rotated)  # only the new keys, as the trustees open them
    assert Party.objects.get(pk=survivor.pk).full_name == "Zhanar Testbayeva"
    exhibit.refresh_from_db()
    original_file, sha256 = evidence.open_original(exhibit)
    with original_file:
        assert original_file.read() == b"what the neighbour saw\n" * 20
    assert sha256 == exhibit.blob.sha256
    assert all(report.problem is None for report in verify_all())
