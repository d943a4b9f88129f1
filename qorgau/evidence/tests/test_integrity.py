"""Stored evidence objects under `verify` and `backup`: missing, damaged (one flipped bit)
and swapped objects are each found and named, and every check is a custody read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.evidence import integrity, services, storage
from qorgau.evidence.models import Blob


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    yield settings.QORGAU_EVIDENCE_DIR
    storage.evidence_storage.cache_clear()


def text_exhibit(case, by, n: int):
    data = f"statement {n}\n".encode() * 50
    return services.ingest(case, by, services.Upload(io.BytesIO(data), f"note-{n}.txt"))


def tamper(root: Path, exhibits) -> tuple[str, str, str]:
    """Delete the first object, flip one bit of the second, put the fourth's bytes in
    place of the third. Their object names."""
    first, second, third, fourth = (root / e.blob.object_name for e in exhibits[:4])
    first.unlink()
    data = bytearray(second.read_bytes())
    data[len(data) // 2] ^= 0x01
    second.write_bytes(bytes(data))
    third.write_bytes(fourth.read_bytes())
    return tuple(e.blob.object_name for e in exhibits[:3])  # type: ignore[return-value]


def test_verify_names_missing_damaged_and_swapped_objects(case, alice, evidence_dir,
                                                          capsys):
    exhibits = [text_exhibit(case, alice, n) for n in range(5)]
    call_command("verify", "--evidence")  # all well: no problem, exit 0
    assert "5 stored objects opened and hashed (all), 0 missing" in capsys.readouterr().out
    missing, damaged, swapped = tamper(evidence_dir, exhibits)

    with pytest.raises(CommandError, match="3 other problems"):
        call_command("verify", "--evidence")
    err = capsys.readouterr().err
    ref = case.reference
    assert f"case {ref} exhibit 1 ({missing}): MISSING" in err
    assert f"case {ref} exhibit 2 ({damaged}): DAMAGED" in err
    assert (f"case {ref} exhibit 3 ({swapped}): SWAPPED: the stored object holds the bytes "
            f"of case {ref} exhibit 4") in err
    assert "exhibit 5" not in err

    # Each check is a custody read on the exhibit's log, and the chain still verifies.
    checks = LedgerEntry.objects.filter(case=case, action=integrity.VERIFY_ACTION)
    assert checks.count() == 10
    latest = {e.subject: e.detail["why"] for e in checks.order_by("seq")}
    assert latest[f"exhibit:{exhibits[0].pk}"] == "verify: missing"
    assert latest[f"exhibit:{exhibits[1].pk}"] == "verify: damaged"
    assert latest[f"exhibit:{exhibits[2].pk}"] == "verify: swapped"
    assert latest[f"exhibit:{exhibits[4].pk}"] == "verify: ok"
    assert checks.filter(actor=None).count() == 10
    assert verify_case(case.pk, ref).problem is None


def test_a_plain_verify_checks_a_rotating_sample(case, alice, evidence_dir, capsys):
    for n in range(5):
        text_exhibit(case, alice, n)
    ids = list(Blob.objects.order_by("pk").values_list("pk", flat=True))
    days = [integrity.sample(2, now=day * integrity.DAY) for day in range(5)]
    assert all(len(window) == 2 for window in days)
    assert {pk for window in days[:3] for pk in window} == set(ids)  # round in 3 days
    assert days[0] != days[1]
    call_command("verify", "--evidence-sample", "2")
    assert "2 stored objects opened and hashed (rotating sample)" in capsys.readouterr().out
    assert LedgerEntry.objects.filter(action=integrity.VERIFY_ACTION).count() == 2


def test_backup_refuses_damaged_exhibits_and_names_them(case, alice, evidence_dir, tmp_path):
    from qorgau.operations import backup

    exhibits = [text_exhibit(case, alice, n) for n in range(4)]
    missing, damaged, swapped = tamper(evidence_dir, exhibits)
    out = tmp_path / "b.tar.age"
    import pyrage

    key = str(pyrage.x25519.Identity.generate().to_public())
    with pytest.raises(backup.BackupError) as failure:
        backup.write_backup(out, [key])
    message = str(failure.value)
    assert "3 stored exhibit file(s) are damaged, missing or swapped" in message
    for name in (missing, damaged, swapped):
        assert name in message
    assert not out.exists() and not list(tmp_path.glob(".*.partial"))


def test_a_missing_or_damaged_object_is_refused_in_plain_words(case, alice, evidence_dir,
                                                               client):
    exhibits = [text_exhibit(case, alice, n) for n in range(4)]
    tamper(evidence_dir, exhibits)
    client.force_login(alice)
    for exhibit in exhibits[:3]:  # missing, damaged, swapped: never a server error
        url = reverse("evidence:download", args=[case.reference, exhibit.number])
        response = client.post(url, {"why": "check"}, follow=True)
        assert response.status_code == 200
        assert "no longer matches its recorded hash" in response.content.decode()
