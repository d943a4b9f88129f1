"""Evidence: honest hashes, encryption at rest, hostile uploads, custody, storage backends."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from qorgau.cases.models import LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import database_url, make_event
from qorgau.evidence import services, storage
from qorgau.evidence.models import Blob, Exhibit

ROOT = Path(__file__).resolve().parents[3]


def jpeg_with_exif(colour: str = "red", when: str = "2022:07:03 21:15:00") -> bytes:
    image = Image.new("RGB", (64, 48), colour)
    exif = Image.Exif()
    exif[0x010F] = "Fictional Phone Co."  # Make
    exif.get_ifd(0x8769)[0x9003] = when  # DateTimeOriginal
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    storage.evidence_storage.cache_clear()
    yield tmp_path
    storage.evidence_storage.cache_clear()


def upload(case, by, data: bytes, name: str = "photo.jpg", content_type: str = "", **extra):
    return services.ingest(case, by, services.Upload(io.BytesIO(data), name, content_type,
                                                     **extra))


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_hash_equals_sha256sum_and_exif_is_kept(case, alice, evidence_dir):
    data = jpeg_with_exif()
    path = evidence_dir / "photo.jpg"
    path.write_bytes(data)
    expected = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True,
                              check=True).stdout.split()[0]
    exhibit = upload(case, alice, data, "photo.jpg", "image/jpeg")
    assert exhibit.blob.sha256 == expected
    assert exhibit.blob.size == len(data)
    assert exhibit.blob.media_type == "image/jpeg"
    assert exhibit.captured_at == "2022-07-03T21:15" and exhibit.capture_source == "file"
    assert exhibit.metadata["exif"]["Make"] == "Fictional Phone Co."
    assert exhibit.received_at is not None


def test_original_is_encrypted_at_rest_and_comes_back_unchanged(case, alice, evidence_dir):
    data = jpeg_with_exif()
    exhibit = upload(case, alice, data)
    (obj,) = [p for p in stored_files(evidence_dir / "evidence")]
    raw = obj.read_bytes()
    assert raw.startswith(b"age-encryption.org/v1")
    assert data[100:200] not in raw
    assert obj.name == f"{exhibit.blob.sha256}.age"  # content-addressed
    assert oct(obj.stat().st_mode & 0o777) == "0o600"
    back, sha = services.open_original(exhibit)
    assert back.read() == data and sha == exhibit.blob.sha256


def test_media_type_comes_from_content_not_name(case, alice):
    exhibit = upload(case, alice, png(), "scan", "application/octet-stream")
    assert exhibit.blob.media_type == "image/png"
    assert exhibit.capture_source == "" and exhibit.captured_at == ""


def test_claimed_capture_time_is_kept_beside_receipt(case, alice):
    exhibit = upload(case, alice, png(), "note.png", captured_at="2024-02-10")
    assert (exhibit.captured_at, exhibit.capture_source) == ("2024-02-10", "user")
    with pytest.raises(ValidationError, match="month must be"):
        upload(case, alice, jpeg_with_exif("green"), "x.jpg", captured_at="2024-13")


def test_identical_bytes_are_stored_once(case, alice, evidence_dir):
    data = jpeg_with_exif()
    first = upload(case, alice, data)
    with pytest.raises(ValidationError, match=f"already in the case as exhibit {first.number}"):
        upload(case, alice, data, "copy.jpg")
    assert Blob.objects.count() == 1 and len(stored_files(evidence_dir / "evidence")) == 1


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


HOSTILE = [
    ("ELF executable", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "tool.jpg", "",
     "Executable files"),
    ("Windows executable", b"MZ\x90\x00" + b"\x00" * 200, "setup.pdf", "", "Executable"),
    ("shell script", b"#!/bin/sh\nrm -rf /\n", "notes.txt", "text/plain", "scripts"),
    ("PNG claiming to be a PDF", png(), "statement.pdf", "application/pdf",
     "says it is application/pdf but its content is image/png"),
    ("polyglot: PDF inside an image", png()[:8] + b"%PDF-1.7" + png()[8:], "a.png", "",
     "two kinds of file"),
    ("polyglot: ZIP appended to an image", jpeg_with_exif() + zip_bytes({"x.txt": b"hi"}),
     "b.jpg", "", "two kinds of file"),
    ("path traversal", png(), "../../etc/passwd.png", "", "must not contain a path"),
    ("path in name", png(), "photos/a.png", "", "must not contain a path"),
    ("zip slip", zip_bytes({"../../evil.txt": b"x"}), "chat.zip", "", "outside it"),
    ("gzip", b"\x1f\x8b\x08\x00" + b"\x00" * 100, "a.gz", "", "not accepted"),
    ("SVG with a script", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">'
     b'<circle r="4"/><script>alert(1)</script></svg>', "map.svg", "", "active content"),
    ("SVG with an event handler", b'<svg xmlns="http://www.w3.org/2000/svg"><rect '
     b'width="5" height="5" onload="fetch(1)"/></svg>', "map.txt", "", "active content"),
    ("HTML with a script", b"<!DOCTYPE html>\n<html><body><p>Chat</p>\n<SCRIPT src=x.js>"
     b"</SCRIPT></body></html>", "chat.txt", "text/plain", "active content"),
    ("HTML with a javascript: link", b"<html><body><a href=' javascript:steal()'>open</a>"
     b"</body></html>", "page.txt", "", "active content"),
    ("HTML with a script past the first megabyte", b"<html><body>" + b"<p>line</p>\n" * 100_000
     + b"<img src=x onerror=alert(1)></body></html>", "long.txt", "", "active content"),
    ("ZIP slip inside a ZIP", zip_bytes({"inner.zip": zip_bytes({"../../x": b"x"})}),
     "chat.zip", "", "outside it"),
    ("ZIPs nested too deeply", zip_bytes({"a.zip": zip_bytes({"b.zip": zip_bytes(
        {"c.zip": zip_bytes({"d.txt": b"x"})})})}), "chat.zip", "", "nested too deeply"),
    ("HTML appended to a JPEG", jpeg_with_exif() + b"<html><script>alert(1)</script></html>",
     "c.jpg", "", "bytes of other data after its end"),
    ("data appended to a PNG", png() + b"\n<?php system($_GET['c']); ?>", "d.png", "",
     "bytes of other data after its end"),
    ("empty", b"", "empty.txt", "", "empty"),
]


@pytest.mark.parametrize(("label", "data", "name", "content_type", "message"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_without_trace(case, alice, evidence_dir, label, data,
                                                   name, content_type, message):
    before = LedgerEntry.objects.filter(case=case).count()
    with pytest.raises(ValidationError) as info:
        upload(case, alice, data, name, content_type)
    assert message in " ".join(info.value.messages), info.value.messages
    assert not Blob.objects.exists() and not Exhibit.objects.exists()
    assert stored_files(evidence_dir / "evidence") == [] if (
        evidence_dir / "evidence").exists() else True
    assert list(services.work_dir().iterdir()) == []
    assert LedgerEntry.objects.filter(case=case).count() == before


INNOCENT = [
    ("SVG drawing without scripts", b'<svg xmlns="http://www.w3.org/2000/svg"><rect '
     b'width="5" height="5" fill="red"/><text>Ongoing: 3 calls</text></svg>', "map.txt"),
    ("plain text that mentions script words", b"He said: onload = later, and javascript "
     b"is a language.\n", "notes.txt"),
    ("ZIP holding a small ZIP", zip_bytes({"inner.zip": zip_bytes({"a.txt": b"hello"}),
                                          "b.txt": b"x"}), "chat.zip"),
    ("JPEG followed by a second JPEG (a phone's depth or HDR map)",
     jpeg_with_exif() + jpeg_with_exif("blue"), "e.jpg"),
    ("JPEG with zero padding after its end", jpeg_with_exif() + b"\x00" * 64, "f.jpg"),
]


@pytest.mark.parametrize(("label", "data", "name"), INNOCENT, ids=[i[0] for i in INNOCENT])
def test_innocent_lookalikes_are_accepted(case, alice, label, data, name):
    assert upload(case, alice, data, name).blob.size == len(data)


def test_zip_bomb_is_refused(case, alice, settings):
    settings.QORGAU_EVIDENCE_MAX_EXPANDED = 1024 * 1024
    bomb = zip_bytes({"zeros.txt": b"\x00" * (4 * 1024 * 1024)})
    assert len(bomb) < 10_000
    with pytest.raises(ValidationError, match="would expand to more than 1 MB"):
        upload(case, alice, bomb, "chat.zip")
    assert not Blob.objects.exists()


def test_zip_bomb_inside_a_zip_counts_in_full(case, alice, settings):
    settings.QORGAU_EVIDENCE_MAX_EXPANDED = 1024 * 1024
    inner = zip_bytes({"zeros.txt": b"\x00" * (4 * 1024 * 1024)})
    bomb = zip_bytes({"chat/photos.zip": inner, "chat/readme.txt": b"hello"})
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # the outer level alone is small
        assert sum(m.file_size for m in archive.infolist()) < 20_000
    with pytest.raises(ValidationError, match="would expand to more than 1 MB"):
        upload(case, alice, bomb, "chat.zip")
    assert not Blob.objects.exists()


def test_oversized_file_is_refused(case, alice, settings):
    settings.QORGAU_EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="larger than the limit"):
        upload(case, alice, b"a" * 1001, "big.txt")
    assert upload(case, alice, b"a" * 1000, "fits.txt").blob.size == 1000


def test_web_upload_over_the_limit_is_stopped(client, case, alice, settings, evidence_dir):
    settings.QORGAU_EVIDENCE_MAX_BYTES = 2000
    client.force_login(alice)
    url = reverse("evidence:list", args=[case.reference])
    response = client.post(url, {"file": SimpleUploadedFile("big.txt", b"b" * 5000)})
    assert response.status_code == 200
    assert "larger than the limit of" in response.content.decode()
    assert not Exhibit.objects.exists()
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []


def test_failure_after_storing_removes_the_object(case, alice, evidence_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_record", broken)
    with pytest.raises(RuntimeError):
        upload(case, alice, jpeg_with_exif())
    assert stored_files(evidence_dir / "evidence") == []
    assert not Blob.objects.exists()


def test_killing_the_process_mid_upload_leaves_the_store_consistent(
        committed_db, org, alice, evidence_dir, settings):
    from qorgau.cases import services as case_services

    case = case_services.create_case(org, alice, region="kz-west")
    fifo = evidence_dir / "incoming.jpg"
    os.mkfifo(fifo)
    env = {**os.environ, "QORGAU_ENV": "test", "DATABASE_URL": database_url(),
           "QORGAU_EVIDENCE_DIR": str(settings.QORGAU_EVIDENCE_DIR),
           "QORGAU_DATA_DIR": str(evidence_dir / "data")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "upload-evidence", case.reference, str(fifo),
         "--as", alice.email], env=env, cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    with open(fifo, "wb") as writer:
        writer.write(jpeg_with_exif()[:5000])
        writer.flush()
        work = Path(settings.QORGAU_EVIDENCE_DIR).parent / "evidence-work"
        for _ in range(100):  # wait until it is writing its spool file
            if work.exists() and any(work.iterdir()):
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    assert any(work.iterdir())  # it really was cut off mid-upload
    assert not Blob.objects.filter(case=case).exists()
    assert not Exhibit.objects.filter(case=case).exists()
    assert stored_files(Path(settings.QORGAU_EVIDENCE_DIR)) == [] if Path(
        settings.QORGAU_EVIDENCE_DIR).exists() else True
    call_command("evidence-gc", max_age=0)
    assert list(work.iterdir()) == []
    assert services.orphans() == []
    assert verify_case(case.pk, case.reference).problem is None


def test_custody_log_records_views_and_downloads(client, case, alice, bob):
    data = jpeg_with_exif()
    exhibit = upload(case, alice, data, title="Burn, left cheek")
    client.force_login(bob)
    page = client.get(reverse("evidence:exhibit", args=[case.reference, exhibit.number]))
    assert page.status_code == 200 and exhibit.blob.sha256 in page.content.decode()
    url = reverse("evidence:download", args=[case.reference, exhibit.number])
    assert client.get(url).status_code == 405
    refused = client.post(url, {"why": ""})
    assert refused.status_code == 302 and not hasattr(refused, "streaming_content")
    response = client.post(url, {"why": "Court bundle for the hearing"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert "no-store" in response["Cache-Control"]
    entries = LedgerEntry.objects.filter(case=case, subject=f"exhibit:{exhibit.pk}").order_by(
        "seq")
    actions = [(e.action, e.actor_id, e.detail.get("why")) for e in entries]
    assert actions == [("exhibit.create", alice.pk, None),
                       ("exhibit.view", bob.pk, "exhibit page"),
                       ("exhibit.download", bob.pk, "Court bundle for the hearing")]
    assert all(e.detail.get("sha256", exhibit.blob.sha256) == exhibit.blob.sha256
               for e in entries)
    html = client.get(reverse("evidence:exhibit", args=[case.reference, exhibit.number])
                      ).content.decode()
    assert "Court bundle for the hearing" in html and "exhibit.download" in html
    assert verify_case(case.pk, case.reference).problem is None


def test_a_changed_stored_file_is_not_released(client, case, alice, evidence_dir):
    exhibit = upload(case, alice, jpeg_with_exif())
    other = upload(case, alice, jpeg_with_exif("blue"), "other.jpg")
    objects = Path(settings.QORGAU_EVIDENCE_DIR) / str(case.pk)
    (objects / f"{exhibit.blob.sha256}.age").write_bytes(
        (objects / f"{other.blob.sha256}.age").read_bytes())
    with pytest.raises(services.IntegrityFailure):
        services.open_original(exhibit)
    client.force_login(alice)
    response = client.post(reverse("evidence:download", args=[case.reference, exhibit.number]),
                           {"why": "check"})
    assert response.status_code == 302


def test_derivative_names_its_original(case, alice, client):
    original = upload(case, alice, jpeg_with_exif(), "face.jpg")
    redacted = services.ingest(case, alice, services.Upload(
        io.BytesIO(jpeg_with_exif("black")), "face-redacted.jpg"),
        derived_from=original, derivation="redacted", tool="GIMP 2.10 (blur)")
    assert redacted.derived_from == original and redacted.blob != original.blob
    entry = LedgerEntry.objects.get(case=case, subject=f"exhibit:{redacted.pk}")
    assert entry.action == "exhibit.derive"
    assert LedgerEntry.objects.filter(case=case, subject=f"exhibit:{original.pk}",
                                      action="exhibit.derivative").exists()
    back, _ = services.open_original(original)
    assert back.read() == jpeg_with_exif()  # the original is untouched
    with pytest.raises(ValidationError, match="which tool"):
        services.ingest(case, alice, services.Upload(io.BytesIO(png()), "t.png"),
                        derived_from=original, derivation="thumbnail", tool="")


def test_tampering_with_an_exhibit_record_is_detected(case, alice):
    exhibit = upload(case, alice, jpeg_with_exif(), title="Photo")
    assert verify_case(case.pk, case.reference).problem is None
    Exhibit.objects.filter(pk=exhibit.pk).update(captured_at="2020-01-01")
    problem = verify_case(case.pk, case.reference).problem
    assert problem is not None and f"exhibit:{exhibit.pk}" in problem.reason


def test_upload_through_the_page_links_an_event(client, case, alice):
    event = make_event(case, alice, kind="burn_scald", start="2022")
    client.force_login(alice)
    response = client.post(reverse("evidence:list", args=[case.reference]), {
        "file": SimpleUploadedFile("burn.jpg", jpeg_with_exif(), "image/jpeg"),
        "title": "Burn", "event": str(event.number)})
    exhibit = Exhibit.objects.get(case=case)
    assert response.status_code == 302 and exhibit.event == event
    bad = client.post(reverse("evidence:list", args=[case.reference]), {
        "file": SimpleUploadedFile("x.pdf", png(), "application/pdf")})
    assert "its content is image/png" in bad.content.decode()


def test_s3_compatible_storage_on_loopback(case, alice, settings):
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        settings.QORGAU_EVIDENCE_BACKEND = "s3"
        settings.QORGAU_S3_BUCKET = "qorgau-evidence"
        settings.QORGAU_S3_ENDPOINT_URL = endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket="qorgau-evidence")
        storage.evidence_storage.cache_clear()
        data = jpeg_with_exif()
        exhibit = upload(case, alice, data)
        key = f"evidence/{case.pk}/{exhibit.blob.sha256}.age"
        raw = client.get_object(Bucket="qorgau-evidence", Key=key)["Body"].read()
        assert raw.startswith(b"age-encryption.org/v1") and data[100:200] not in raw
        back, sha = services.open_original(exhibit)
        assert back.read() == data and sha == hashlib.sha256(data).hexdigest()
        with pytest.raises(ValidationError, match="already in the case"):
            upload(case, alice, data, "again.jpg")
        listed = client.list_objects_v2(Bucket="qorgau-evidence")["KeyCount"]
        assert listed == 1
    finally:
        storage.evidence_storage.cache_clear()
        server.stop()
