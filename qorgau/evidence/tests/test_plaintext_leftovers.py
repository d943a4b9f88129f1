"""No plaintext upload is left on disk after a crash: a web upload's temporary file is held
by its process while the request runs; once that process is killed, start-up and
`evidence-gc` remove it at once, whatever its age (finding 7 of issue 28)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from qorgau.evidence import services

ROOT = Path(__file__).resolve().parents[3]

# The real request path: Django's multipart parser with the configured upload handlers,
# reading the body from a pipe that the test writes to and then leaves open.
READ_A_REQUEST = """
import os, sys, django
django.setup()
from django.core.handlers.wsgi import WSGIRequest
environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SERVER_NAME": "test",
           "SERVER_PORT": "80", "wsgi.url_scheme": "http", "CONTENT_LENGTH": "100000000",
           "CONTENT_TYPE": "multipart/form-data; boundary=XyZ",
           "wsgi.input": open(sys.argv[1], "rb")}
WSGIRequest(environ).FILES
"""


@pytest.fixture
def folders(db, settings, tmp_path):
    uploads = tmp_path / "data" / "uploads"
    uploads.mkdir(parents=True)
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "data" / "evidence"
    return tmp_path, uploads


def _wait_for_file(folder: Path) -> Path:
    for _ in range(200):
        found = [p for p in folder.iterdir() if p.is_file() and p.stat().st_size > 0]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing was written in {folder}")


def test_a_killed_upload_leaves_no_plaintext(folders, settings, monkeypatch):
    tmp_path, uploads = folders
    fifo = tmp_path / "body"
    os.mkfifo(fifo)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qorgau.settings", "QORGAU_ENV": "test",
           "QORGAU_DATA_DIR": str(tmp_path / "data"),
           "QORGAU_EVIDENCE_DIR": str(settings.QORGAU_EVIDENCE_DIR)}
    process = subprocess.Popen([sys.executable, "-c", READ_A_REQUEST, str(fifo)], env=env,
                               cwd=ROOT, stderr=subprocess.PIPE)
    try:
        with open(fifo, "wb") as body:
            body.write(b'--XyZ\r\nContent-Disposition: form-data; name="file"; '
                       b'filename="statement.txt"\r\nContent-Type: text/plain\r\n\r\n')
            body.write(b"Gulnar's statement, plaintext\n" * 20000)
            body.flush()
            partial = _wait_for_file(uploads)
            assert b"Gulnar" in partial.read_bytes()[:100]
            old = time.time() - 60  # older than the moment of creating it
            os.utime(partial, (old, old))
            # while the request runs, its file is held: neither clean-up touches it
            assert services.clean_leftovers() == 0
            call_command("evidence-gc")
            assert partial.exists()
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert partial.exists()  # the crash left the plaintext behind
    os.utime(partial, (old, old))  # (its last write may be within the creation instant)
    # evidence-gc with its default age removes it at once: nothing holds it any more
    call_command("evidence-gc")
    assert list(uploads.iterdir()) == []


def test_start_up_removes_orphaned_plaintext(folders, settings):
    tmp_path, uploads = folders
    orphan = uploads / "tmpab12cd.upload"
    orphan.write_bytes(b"plaintext a crash left behind")
    work = services.work_dir() / "qorgau-x1y2.upload"
    work.write_bytes(b"plaintext a crash left behind")
    old = time.time() - 60
    for path in (orphan, work):
        os.utime(path, (old, old))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qorgau.settings", "QORGAU_ENV": "test",
           "QORGAU_DATA_DIR": str(tmp_path / "data"),
           "QORGAU_EVIDENCE_DIR": str(settings.QORGAU_EVIDENCE_DIR)}
    started = subprocess.run([sys.executable, "-c", "import qorgau.wsgi"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120, check=False)
    assert started.returncode == 0, started.stderr[-2000:]
    assert not orphan.exists() and not work.exists()
