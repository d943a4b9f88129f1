"""Orphaned tasks: a task whose worker died is found and re-queued once, then failed.

django-tasks' database worker marks a task RUNNING when it claims it and never looks at it
again: if the worker is killed (out of memory, a deploy, a power cut) the row stays RUNNING
for ever and the user watches "building 5%". Here every worker keeps a heartbeat row
(`WorkerBeat`) and, when it starts and at each beat, checks the RUNNING tasks: one whose
worker has not beaten within the lease, or whose worker process on this host is gone, is
orphaned. It is put back in the queue (the tasks here are safe to run again) the first
time, and failed with a message after `ATTEMPTS` claims, so a task that kills its worker
cannot loop. Apps register what the user should see (`on_abandoned`): a bundle says it is
being built again, or that it failed and must be requested again.

A task whose database connection is lost while it runs (PostgreSQL restarted, a failover,
an administrator's pg_terminate_backend) is treated the same way, whichever way the loss
reaches the worker: the worker itself fails on it and recovers its own task
(`recover(gone=...)`, db_worker), or the task's transaction closed the broken connection and
django-tasks was about to record the task as failed with the connection error
(`requeue_if_lost`, called by db_worker in its place).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from qorgau.operations.models import WorkerBeat

log = logging.getLogger(__name__)
ATTEMPTS = 2  # claims of one task before a lost worker fails it
LOST = "qorgau.operations.workers.WorkerLost"

# task path -> callback(args, kwargs, requeued)
Abandoned = Callable[[list[Any], dict[str, Any], bool], None]
_ABANDONED: dict[str, Abandoned] = {}


class WorkerLost(RuntimeError):
    """The process running a task died before the task finished."""


def on_abandoned(task_path: str, callback: Abandoned) -> None:
    _ABANDONED[task_path] = callback


def lease() -> timedelta:
    return timedelta(seconds=settings.QORGAU_TASK_LEASE_SECONDS)


def _host() -> str:
    return socket.gethostname()[:255]


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


def beat(worker_id: str) -> None:
    now = timezone.now()
    updated = WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now)
    if not updated:
        WorkerBeat.objects.create(worker_id=worker_id, host=_host(), pid=os.getpid(),
                                  started_at=now, beat_at=now)


def _alive(worker_id: str, started_at: Any, beats: dict[str, WorkerBeat]) -> bool:
    now = timezone.now()
    row = beats.get(worker_id)
    if row is None:  # a worker that never beat (an older version): only the lease tells
        return started_at is not None and started_at > now - lease()
    if row.beat_at <= now - lease():
        return False
    return not (row.host == _host() and _process_gone(row.pid))


def any_alive() -> bool:
    """Whether some worker has beaten within the lease (else queued tasks wait)."""
    return WorkerBeat.objects.filter(beat_at__gt=timezone.now() - lease()).exists()


@dataclass
class Recovered:
    task_id: str
    task_path: str
    requeued: bool


def recover(gone: str | None = None) -> list[Recovered]:
    """Re-queue or fail every RUNNING task whose worker is gone; what was done. `gone`
    names a worker known to run none of its tasks any more (this one, back from a lost
    database connection) though it still beats."""
    running = list(DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
                   .values_list("id", "task_path", "worker_ids", "started_at", "args_kwargs"))
    if not running:
        return []
    beats = {b.worker_id: b for b in WorkerBeat.objects.filter(
        worker_id__in=[ids[-1] for _id, _path, ids, _at, _args in running if ids])}
    done = []
    for task_id, path, worker_ids, started_at, args_kwargs in running:
        if worker_ids and worker_ids[-1] != gone and _alive(worker_ids[-1], started_at, beats):
            continue
        requeued = len(worker_ids) < ATTEMPTS
        with transaction.atomic():
            still = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING,
                                                worker_ids=worker_ids)
            if requeued:
                changed = still.update(status=TaskResultStatus.READY, started_at=None)
            else:
                changed = still.update(
                    status=TaskResultStatus.FAILED, finished_at=timezone.now(),
                    exception_class_path=LOST, return_value=None,
                    traceback=f"{LOST}: the worker running this task stopped "
                              f"{len(worker_ids)} times before it finished")
            if not changed:  # another worker got there first
                continue
            callback = _ABANDONED.get(path)
            if callback is not None:
                callback(list(args_kwargs.get("args", [])),
                         dict(args_kwargs.get("kwargs", {})), requeued)
        log.warning("task %s (%s): its worker %s is gone; %s", task_id, path,
                    worker_ids[-1] if worker_ids else "-",
                    "queued again" if requeued else "failed")
        done.append(Recovered(str(task_id), path, requeued))
    # Heartbeats of workers long gone are of no more use.
    WorkerBeat.objects.filter(beat_at__lt=timezone.now() - 10 * lease()).delete()
    return done


# SQLSTATEs of a connection that is gone: class 08 (connection exception), the server shut
# down or crashed (57P01, 57P02), or not accepting connections yet (57P03).
_LOST_STATES = ("57P01", "57P02", "57P03")


def connection_lost(exc: BaseException | None) -> bool:
    """Whether `exc` (or what caused it) says the database connection was lost."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, InterfaceError):  # Django: "connection already closed"
            return True
        state = getattr(exc, "sqlstate", None)
        if state and (state.startswith("08") or state in _LOST_STATES):
            return True
        # psycopg reports a broken socket ("server closed the connection unexpectedly",
        # "consuming input failed") as a plain OperationalError without a SQLSTATE.
        if (state is None and type(exc).__name__ == "OperationalError"
                and type(exc).__module__.startswith("psycopg")):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def requeue_if_lost(task_result: DBTaskResult, exc: BaseException) -> bool:
    """Before django-tasks records a task as failed: if its database connection was lost,
    queue it again instead (the first time; after `ATTEMPTS` claims it fails as usual), so
    that nobody sees it failed for a moment's loss. Whether it was queued again."""
    if not connection_lost(exc):
        return False
    worker_ids = list(task_result.worker_ids)
    if len(worker_ids) >= ATTEMPTS:
        log.warning("task %s (%s): its database connection was lost again; failed",
                    task_result.id, task_result.task_path)
        return False
    with transaction.atomic():
        changed = DBTaskResult.objects.filter(
            pk=task_result.id, status=TaskResultStatus.RUNNING, worker_ids=worker_ids).update(
            status=TaskResultStatus.READY, started_at=None, finished_at=None,
            exception_class_path="", traceback="", return_value=None)
        callback = _ABANDONED.get(task_result.task_path)
        if changed and callback is not None:
            args_kwargs = task_result.args_kwargs
            callback(list(args_kwargs.get("args", [])), dict(args_kwargs.get("kwargs", {})),
                     True)
    if not changed:  # recovered already (its worker was taken for gone): nothing to record
        return True
    task_result.status = TaskResultStatus.READY
    log.warning("task %s (%s): its database connection was lost; queued again",
                task_result.id, task_result.task_path)
    return True


class Heartbeat:
    """A thread that keeps this worker's heartbeat and recovers other workers' orphans."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="qorgau-heartbeat",
                                       daemon=True)

    def start(self) -> None:
        beat(self.worker_id)
        recover()
        self.thread.start()

    def _run(self) -> None:
        interval = max(0.5, settings.QORGAU_TASK_LEASE_SECONDS / 3)
        try:
            while not self.stopped.wait(interval):
                try:
                    close_old_connections()
                    beat(self.worker_id)
                    recover()
                except Exception:  # noqa: BLE001 -- a database hiccup: try at the next beat
                    log.exception("worker heartbeat failed")
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        WorkerBeat.objects.filter(worker_id=self.worker_id).delete()
