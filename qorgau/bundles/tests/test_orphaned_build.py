"""A court bundle whose worker dies: the task is found orphaned and built again by the next
worker, or failed with a message the user sees, never "building 5%" for ever (finding 5 of
issue 28)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qorgau.bundles import services
from qorgau.bundles.models import Bundle
from qorgau.cases import services as case_services
from qorgau.conftest import database_url
from qorgau.evidence import services as evidence
from qorgau.evidence import storage
from qorgau.operations import workers
from qorgau.operations.models import WorkerBeat

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def queued(settings, tmp_path, org, alice, consent_to):
    """A case with one exhibit and a bundle of it queued for a `db_worker`."""
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    case = case_services.create_case(org, alice, region="kz-west")
    case_services.add_party(case, alice, role="survivor", full_name="Aigerim Test")
    exhibit = evidence.ingest(case, alice, evidence.Upload(
        io.BytesIO(b"a statement, kept as evidence\n" * 40), "statement.txt"))
    grant = consent_to(case, alice, "court")
    bundle = services.request_bundle(case, alice, "en", False, grant_id=grant.pk)
    assert bundle.status == Bundle.Status.QUEUED
    yield case, exhibit, bundle
    storage.evidence_storage.cache_clear()


def _worker(settings, tmp_path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload",
            "--no-startup-delay", "--interval", "0.2", *extra]


def _env(settings, tmp_path) -> dict[str, str]:
    return {**os.environ, "QORGAU_ENV": "test", "DATABASE_URL": database_url(),
            "QORGAU_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "QORGAU_EVIDENCE_DIR": str(settings.QORGAU_EVIDENCE_DIR),
            "QORGAU_DATA_DIR": str(tmp_path / "worker"),
            "QORGAU_DATA_KEYS": ",".join(settings.QORGAU_DATA_KEYS),
            "QORGAU_EVIDENCE_KEYS": ",".join(settings.QORGAU_EVIDENCE_KEYS),
            "QORGAU_SIGNING_KEY": settings.QORGAU_SIGNING_KEY,
            "SECRET_KEY": settings.SECRET_KEY}


def test_a_worker_killed_mid_build_the_next_worker_finishes_it(
        committed_db, settings, tmp_path, queued, client, alice):
    case, exhibit, bundle = queued
    # The build will stop on reading the exhibit: its stored object is a pipe nobody writes.
    stored = Path(settings.QORGAU_EVIDENCE_DIR) / exhibit.blob.object_name
    aside = stored.with_suffix(".aside")
    stored.rename(aside)
    os.mkfifo(stored)
    env = _env(settings, tmp_path)
    first = subprocess.Popen(_worker(settings, tmp_path), env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            bundle.refresh_from_db()
            if bundle.status == Bundle.Status.BUILDING:
                break
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.1)
        assert bundle.status == Bundle.Status.BUILDING
        time.sleep(0.3)
        task = DBTaskResult.objects.get()
        assert task.status == TaskResultStatus.RUNNING
        first.send_signal(signal.SIGKILL)  # mid-build
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stored.unlink()
    aside.rename(stored)
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.BUILDING  # what the user saw for ever before

    # and a crashed upload's plaintext, which the worker removes when it starts
    orphan = tmp_path / "worker" / "uploads" / "tmp1a2b3c.upload"
    orphan.write_bytes(b"plaintext a crash left behind")
    os.utime(orphan, (time.time() - 60, time.time() - 60))

    second = subprocess.run(_worker(settings, tmp_path, "--batch"), env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert second.returncode == 0, second.stderr[-3000:]
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.DONE, bundle.message
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL and len(task.worker_ids) == 2
    assert not orphan.exists()
    client.force_login(alice)
    page = client.get(reverse("bundles:detail", args=[case.reference, bundle.pk]))
    assert bundle.sha256 in page.content.decode()


def test_a_task_whose_worker_died_twice_fails_with_a_message(db, queued, client, alice,
                                                              settings):
    case, _exhibit, bundle = queued
    long_ago = timezone.now() - timedelta(hours=1)
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["gone-1", "gone-2"])
    Bundle.objects.filter(pk=bundle.pk).update(status=Bundle.Status.BUILDING, progress=5)
    WorkerBeat.objects.create(worker_id="gone-2", host="another-server", pid=1,
                              started_at=long_ago, beat_at=long_ago)
    # a task whose worker elsewhere still beats is left alone
    live = DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING, args_kwargs={"args": [0], "kwargs": {}},
        task_path=task.task_path, backend_name=task.backend_name, run_after=long_ago,
        queue_name=task.queue_name, worker_ids=["alive"], started_at=long_ago)
    WorkerBeat.objects.create(worker_id="alive", host="another-server", pid=1,
                              started_at=long_ago, beat_at=timezone.now())

    done = workers.recover()
    assert [(r.task_id, r.requeued) for r in done] == [(str(task.pk), False)]
    task.refresh_from_db()
    live.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and task.exception_class_path == workers.LOST
    assert live.status == TaskResultStatus.RUNNING
    bundle.refresh_from_db()
    assert bundle.status == Bundle.Status.FAILED
    assert "stopped before it finished" in bundle.message
    client.force_login(alice)
    page = client.get(reverse("bundles:detail", args=[case.reference, bundle.pk]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert "stopped before it finished" in page and "every 2s" not in page


def test_a_bundle_waiting_with_no_worker_running_says_so(db, queued, client, alice):
    case, _exhibit, bundle = queued
    client.force_login(alice)
    url = reverse("bundles:detail", args=[case.reference, bundle.pk])
    waiting = client.get(url).content.decode()
    assert "No background worker is running" in waiting and "<progress" in waiting
    WorkerBeat.objects.create(worker_id="w", host="another-server", pid=1,
                              started_at=timezone.now(), beat_at=timezone.now())
    assert "No background worker is running" not in client.get(url).content.decode()
