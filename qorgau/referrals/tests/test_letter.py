"""The referral letter carries only the shared categories, in the language asked, and only
while the consent allows it; each download is a read on the ledger."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from qorgau.cases import services as case_services
from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event
from qorgau.consent import services as consent
from qorgau.referrals import services
from qorgau.referrals.models import Provider


def _text(pdf: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def referral(case, alice, survivor, consent_to):
    services.load_demo_directory()
    case_services.update_party(survivor, alice, address="5 Hidden Street, Uralsk")
    make_event(case, alice, narrative="He threatened her with a knife")
    centre = Provider.objects.get(name="Zhaiyk Crisis Centre (fictional)")
    grant = consent_to(case, alice, "referral", categories=["identity", "timeline"])
    return services.make_referral(case, alice, provider=centre, need="shelter",
                                  grant_id=grant.pk, categories=["identity"])


def test_letter_has_only_the_granted_data(client, case, alice, survivor, referral, tmp_path):
    client.force_login(alice)
    url = reverse("referrals:letter", args=[case.reference, referral.pk])
    response = client.get(url, {"lang": "en"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _text(response.content, tmp_path)
    assert f"Referral no. {referral.pk}" in text
    assert "Zhaiyk Crisis Centre (fictional)" in text
    assert survivor.full_name in text  # identity: shared
    assert "Hidden Street" not in text  # contact: not shared
    assert "knife" not in text  # timeline: granted, but not chosen for this referral
    entry = LedgerEntry.objects.filter(case=case).latest("seq")
    assert entry.action == "referral.letter" and entry.detail["language"] == "en"
    assert verify_case(case.pk, case.reference).problem is None


def test_letter_in_kazakh_and_russian(client, case, alice, survivor, referral, tmp_path):
    client.force_login(alice)
    url = reverse("referrals:letter", args=[case.reference, referral.pk])
    for lang in ("kk", "ru"):
        text = _text(client.get(url, {"lang": lang}).content, tmp_path)
        assert survivor.full_name in text and "Zhaiyk" in text


def test_no_letter_after_revocation(client, case, alice, referral):
    consent.revoke_consent(referral.grant, alice, "She withdrew it")
    client.force_login(alice)
    url = reverse("referrals:letter", args=[case.reference, referral.pk])
    response = client.get(url, {"lang": "en"}, follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert f"The survivor revoked consent no. {referral.grant_id}" in response.content.decode()
    assert not LedgerEntry.objects.filter(case=case, action="referral.letter").exists()
