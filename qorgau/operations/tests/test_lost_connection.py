"""A task that fails because its database connection was lost is queued again once, then
recorded failed (operations.workers.requeue_if_lost; the whole path against a real server is in
test_faults.py). Which errors count as a lost connection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qorgau.operations import workers

PATH = "qorgau.operations.tests.fault_tasks.note_pid"


def _wrapped(cause: BaseException) -> OperationalError:
    """As Django raises a driver's error: its own class, the driver's as the cause."""
    try:
        try:
            raise cause
        except Exception as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as exc:
        return exc


def test_what_counts_as_a_lost_connection():
    assert workers.connection_lost(_wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert workers.connection_lost(_wrapped(psycopg.OperationalError("consuming input failed")))
    assert workers.connection_lost(InterfaceError("connection already closed"))
    assert not workers.connection_lost(_wrapped(psycopg.errors.LockNotAvailable("lock")))
    assert not workers.connection_lost(_wrapped(psycopg.errors.QueryCanceled("timeout")))
    assert not workers.connection_lost(ValueError("a task's own error"))
    assert not workers.connection_lost(None)


def _running(claims: int) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING, args_kwargs={"args": ["x"], "kwargs": {}},
        task_path=PATH, worker_ids=[f"w{n}" for n in range(claims)], backend_name="default",
        run_after=datetime(9999, 1, 1, tzinfo=UTC), started_at=timezone.now())


def _finished(row: DBTaskResult, error: BaseException) -> None:
    """As db_worker's run_task does when the task raised: queued again, or recorded failed."""
    if not workers.requeue_if_lost(row, error):
        row.set_failed(error)


@pytest.mark.django_db
def test_a_task_failed_on_a_lost_connection_is_queued_again_once(monkeypatch):
    told: list[tuple[Any, ...]] = []
    monkeypatch.setitem(workers._ABANDONED, PATH, lambda *args: told.append(args))
    lost = _wrapped(psycopg.errors.AdminShutdown("terminating connection"))

    first = _running(claims=1)
    _finished(first, lost)
    first.refresh_from_db()
    assert (first.status, first.exception_class_path, first.traceback) == (
        TaskResultStatus.READY, "", "")
    assert first.started_at is None and first.finished_at is None
    assert told == [(["x"], {}, True)]  # the app says it is being done again

    again = _running(claims=workers.ATTEMPTS)  # lost on every claim: it stays failed
    _finished(again, lost)
    again.refresh_from_db()
    assert again.status == TaskResultStatus.FAILED and len(told) == 1

    own = _running(claims=1)  # the task's own error is not retried
    _finished(own, ValueError("no"))
    own.refresh_from_db()
    assert own.status == TaskResultStatus.FAILED

    taken = _running(claims=1)  # recovered meanwhile and claimed by another worker
    DBTaskResult.objects.filter(pk=taken.pk).update(worker_ids=["w0", "other"])
    _finished(taken, lost)
    taken.refresh_from_db()
    assert taken.status == TaskResultStatus.RUNNING and taken.worker_ids == ["w0", "other"]
