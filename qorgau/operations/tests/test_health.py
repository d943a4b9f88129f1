"""`health`: what a monitor polls; exit status 1 when the worker, the checkpoint or the
database is not well."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qorgau.cases.checkpoints import create_checkpoint


def _health(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("health", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _queued(minutes_ago: int) -> DBTaskResult:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    task = DBTaskResult.objects.create(
        status=TaskResultStatus.READY, args_kwargs={"args": [], "kwargs": {}},
        task_path="qorgau.duties.tasks.send_reminders", backend_name="default",
        queue_name="default", priority=0, run_after=at)
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=at)
    return task


def test_a_fresh_installation_is_healthy(db):
    code, out = _health()
    assert code == 0, out
    assert "OK database: reachable" in out and "OK queue: no task waiting" in out


def test_a_task_nobody_takes_is_unhealthy(db):
    _queued(minutes_ago=2)
    code, out = _health()
    assert code == 0 and "1 waiting, the oldest for 2 min" in out
    _queued(minutes_ago=40)
    code, out = _health("--json")
    body = json.loads(out)
    assert code == 1 and body["healthy"] is False
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["queue"]["age_seconds"] >= 40 * 60
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL,
                                finished_at=timezone.now())
    code, out = _health()
    assert code == 0 and "the last task finished 0 s ago" in out


def test_writes_without_a_recent_checkpoint_are_unhealthy(case, time_machine):
    code, out = _health()
    assert code == 1 and "FAIL checkpoint: never signed" in out
    create_checkpoint()
    assert _health()[0] == 0
    time_machine.move_to(timezone.now() + timedelta(hours=30))
    assert _health()[0] == 0  # nothing written since: nothing to sign
    from qorgau.cases import services
    services.set_status(case, case.created_by, "closed", "her_wish")
    code, out = _health()
    assert code == 1 and "FAIL checkpoint: the last signed 30 h ago" in out


def test_no_database_is_unhealthy(tmp_path):
    env = {**os.environ, "QORGAU_ENV": "test", "QORGAU_DATA_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://qorgau@127.0.0.1:1/qorgau"}
    run = subprocess.run([sys.executable, "manage.py", "health"], env=env, text=True,
                         capture_output=True, timeout=60, check=False)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith("FAIL database: unreachable")

