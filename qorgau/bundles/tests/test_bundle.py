"""The reference case's court bundle verifies with standard tools, and any change is caught."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from qorgau.accounts.models import User
from qorgau.bundles import services, signing
from qorgau.bundles.models import Bundle
from qorgau.cases.models import Case, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import run_db_worker
from qorgau.consent.models import ConsentGrant
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.evidence import storage
from qorgau.evidence.models import Exhibit


@pytest.fixture
def demo(db: None, settings, tmp_path) -> Iterator[Case]:
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    load_demo()
    yield Case.objects.get(reference=reference_case.REFERENCE)
    storage.evidence_storage.cache_clear()


@pytest.fixture
def lawyer(demo: Case) -> User:
    return User.objects.get(email=email_for("lawyer"))


def court_grant(case: Case) -> ConsentGrant:
    """The demo's consent to a court bundle."""
    return ConsentGrant.objects.get(case=case, purpose="court")


def _bundle(case: Case, by: User, language: str) -> tuple[Bundle, bytes]:
    bundle = services.request_bundle(case, by, language, sees_restricted=True,
                                     grant_id=court_grant(case).pk)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    with services.open_bundle(bundle, by) as fh:
        return bundle, fh.read()


def _unpack(data: bytes, folder: Path) -> Path:
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _verify(folder: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "verify_bundle.py", "."], folder)


def test_bundle_verifies_with_the_script_and_with_standard_tools(demo, lawyer, tmp_path):
    bundle, data = _bundle(demo, lawyer, "ru")
    folder = _unpack(data, tmp_path / "bundle")
    names = {p.name for p in folder.iterdir()}
    assert {"manifest.json", "manifest.json.sig", "SHA256SUMS", "SHA256SUMS.sig",
            "instance-public-key.pem", "VERIFY.txt", "verify_bundle.py", "index.pdf",
            "originals"} <= names
    originals = sorted((folder / "originals").iterdir())
    exhibits = list(Exhibit.objects.filter(case=demo).select_related("blob"))
    assert len(originals) == len(exhibits) == 3

    result = _verify(folder)
    assert result.returncode == 0 and "VERIFIED" in result.stdout, result.stdout
    # The steps of VERIFY.txt, with openssl and sha256sum only.
    for signed in ("SHA256SUMS", "manifest.json"):
        check = _run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                      "instance-public-key.pem", "-rawin", "-in", signed, "-sigfile",
                      f"{signed}.sig"], folder)
        assert "Signature Verified Successfully" in check.stdout, check.stdout + check.stderr
    sums = _run(["sha256sum", "-c", "SHA256SUMS"], folder)
    assert sums.returncode == 0 and sums.stdout.count(": OK") == len(
        (folder / "SHA256SUMS").read_text().splitlines())
    fingerprint = _run(["sha256sum", "instance-public-key.pem"], folder).stdout.split()[0]
    assert fingerprint == signing.fingerprint()
    assert fingerprint in (folder / "VERIFY.txt").read_text()

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["case"] == demo.reference and manifest["bundle"] == bundle.pk
    assert manifest["generated_at_utc"].endswith("+00:00")
    head = LedgerEntry.objects.filter(case=demo, seq=manifest["ledger"]["head"]["seq"]).get()
    assert head.hash == manifest["ledger"]["head"]["hash"]
    assert {x["sha256"] for x in manifest["exhibits"]} == {x.blob.sha256 for x in exhibits}
    for original in originals:  # byte for byte
        sha = __import__("hashlib").sha256(original.read_bytes()).hexdigest()
        assert sha in {x.blob.sha256 for x in exhibits}
    # Custody: each exhibit exported, the bundle recorded, the download too.
    assert LedgerEntry.objects.filter(case=demo, action="exhibit.export").count() == 3
    assert LedgerEntry.objects.filter(case=demo, action="bundle.create",
                                      subject=f"bundle:{bundle.pk}").exists()
    assert LedgerEntry.objects.filter(case=demo, action="bundle.download").exists()
    assert verify_case(demo.pk, demo.reference).problem is None


def test_any_changed_byte_is_caught_and_named(demo, lawyer, tmp_path):
    _bundle_, data = _bundle(demo, lawyer, "en")
    clean = _unpack(data, tmp_path / "clean")
    files = sorted(str(p.relative_to(clean)) for p in clean.rglob("*") if p.is_file())
    assert len(files) >= 10
    for i, name in enumerate(files):
        folder = tmp_path / f"t{i}"
        shutil.copytree(clean, folder)
        target = folder / name
        content = bytearray(target.read_bytes())
        content[len(content) // 2] ^= 0x01
        target.write_bytes(bytes(content))
        result = _verify(folder)
        if name == "verify_bundle.py" and result.returncode != 0 and "FAILED" not in \
                result.stdout:
            continue  # the flipped byte broke the script itself: it cannot say VERIFIED
        assert result.returncode == 1, (name, result.stdout)
        named = {"manifest.json.sig": "manifest.json", "SHA256SUMS.sig": "SHA256SUMS",
                 "instance-public-key.pem": "manifest.json"}.get(name, name)
        assert named in result.stdout or "instance-public-key.pem" in result.stdout, (
            name, result.stdout)
    # An added file is named too.
    extra = tmp_path / "extra"
    shutil.copytree(clean, extra)
    (extra / "originals" / "planted.jpg").write_bytes(b"not from the case")
    result = _verify(extra)
    assert result.returncode == 1 and "originals/planted.jpg" in result.stdout


def test_index_pdf_is_signed_and_readable(demo, lawyer, tmp_path):
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    for language, phrases in (("ru", ["Хронология", "Обязанности", "нарушена"]),
                              ("kk", ["Хронология", "бұзылды", "Қорғау нұсқамасының"])):
        _b, data = _bundle(demo, lawyer, language)
        folder = _unpack(data, tmp_path / language)
        pdf = (folder / "index.pdf").read_bytes()
        root = asn1_x509.Certificate.load(
            signing.certificate().public_bytes(serialization.Encoding.DER))
        reader = PdfFileReader(io.BytesIO(pdf))
        (signature,) = reader.embedded_signatures
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root]))
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        text = _run(["pdftotext", "-enc", "UTF-8", "index.pdf", "-"], folder).stdout
        for phrase in phrases:
            assert phrase.lower() in text.lower(), (language, phrase)
        assert demo.reference in text


def test_bundle_pages_and_download(client, demo, lawyer):
    client.force_login(lawyer)
    url = reverse("bundles:list", args=[demo.reference])
    assert client.get(url).status_code == 200
    grant = court_grant(demo)
    response = client.post(url, {"language": "en", "grant": grant.pk})
    bundle = Bundle.objects.get(case=demo)
    assert bundle.grant == grant
    assert response["Location"] == reverse("bundles:detail", args=[demo.reference, bundle.pk])
    page = client.get(response["Location"]).content.decode()
    assert bundle.sha256 in page
    download = reverse("bundles:download", args=[demo.reference, bundle.pk])
    assert client.get(download).status_code == 405
    zipped = client.post(download)
    data = b"".join(zipped.streaming_content)
    assert __import__("hashlib").sha256(data).hexdigest() == bundle.sha256
    assert client.post(url, {"language": "de", "grant": grant.pk}).status_code == 302
    refused = client.post(url, {"language": "en"}, follow=True).content.decode()
    assert "Choose the survivor&#x27;s consent" in refused
    assert Bundle.objects.filter(case=demo).count() == 1


def test_bundle_builds_in_the_background_with_progress(committed_db, client, settings,
                                                       tmp_path):
    """Queued by the page, built by a separate `db_worker` process."""
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    load_demo()
    demo = Case.objects.get(reference=reference_case.REFERENCE)
    lawyer = User.objects.get(email=email_for("lawyer"))
    client.force_login(lawyer)
    response = client.post(reverse("bundles:list", args=[demo.reference]),
                           {"language": "ru", "grant": court_grant(demo).pk})
    bundle = Bundle.objects.get(case=demo)
    assert bundle.status == Bundle.Status.QUEUED and bundle.progress == 0
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<progress" in page
    worker = run_db_worker(settings, tmp_path / "worker")
    assert worker.returncode == 0, worker.stderr[-2000:]
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.DONE and bundle.progress == 100, bundle.message
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "every 2s" not in partial and bundle.sha256 in partial
    storage.evidence_storage.cache_clear()


def test_signing_works_inside_a_running_event_loop():
    """pyHanko starts its own loop; inside a running one (ASGI, a browser test) it must
    still sign."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from pypdf import PdfReader, PdfWriter

    from qorgau.bundles import signing

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    blank = io.BytesIO()
    writer.write(blank)

    async def inside() -> bytes:
        return signing.sign_pdf(blank.getvalue(), "test")

    # A thread of its own, so the loop is ours whatever the test runner already runs.
    with ThreadPoolExecutor(max_workers=1) as pool:
        signed = pool.submit(asyncio.run, inside()).result()
    fields = PdfReader(io.BytesIO(signed)).get_fields() or {}
    assert any(f.get("/FT") == "/Sig" for f in fields.values())
