"""A finished bundle whose stored file went missing or was damaged (a restore with
--skip-damaged, a disk fault) is refused in plain words, never a server error (issue 28)."""

from __future__ import annotations

import io
from pathlib import Path

from django.urls import reverse

from qorgau.bundles import services
from qorgau.bundles.models import Bundle
from qorgau.cases import services as case_services
from qorgau.cases.models import LedgerEntry
from qorgau.evidence import services as evidence
from qorgau.evidence import storage


def test_a_damaged_or_missing_bundle_file_is_refused_in_plain_words(
        settings, tmp_path, org, alice, consent_to, client):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    case = case_services.create_case(org, alice, region="kz-west")
    evidence.ingest(case, alice, evidence.Upload(io.BytesIO(b"a statement\n" * 40),
                                                 "statement.txt"))
    grant = consent_to(case, alice, "court")
    bundle = services.request_bundle(case, alice, "en", False, grant_id=grant.pk)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    stored = Path(settings.QORGAU_EVIDENCE_DIR) / bundle.object_name
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    client.force_login(alice)
    url = reverse("bundles:download", args=[case.reference, bundle.pk])
    for _attempt in ("damaged", "missing"):
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert "missing or damaged; nothing was released" in response.content.decode()
        stored.unlink(missing_ok=True)
    assert not LedgerEntry.objects.filter(case=case, action="bundle.download").exists()
    storage.evidence_storage.cache_clear()
