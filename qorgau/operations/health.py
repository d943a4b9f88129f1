"""Is the installation well? The database answers, the background worker takes the queued
tasks, the checkpoint was signed lately. For a monitor (`qorgau health`, exit 1 when not).

django-tasks keeps no worker heartbeat: a worker that is running empties the queue, so
the age of the oldest task ready to run stands for it, with the newest finished task's age
shown beside it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, connection
from django.utils import timezone


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    age_seconds: int | None = None


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def _age(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds()))


def database() -> Check:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Check("database", False, f"unreachable: {first}")
    return Check("database", True, f"reachable ({(time.monotonic() - started) * 1000:.0f} ms)")


def queue(now: datetime, limit: timedelta) -> list[Check]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__lte=now)
    waiting = ready.count()
    oldest = ready.order_by("run_after").values_list("run_after", flat=True).first()
    age = _age(now, oldest)
    if age is None:
        found = Check("queue", True, "no task waiting", 0)
    else:
        found = Check("queue", age <= limit.total_seconds(),
                      f"{waiting} waiting, the oldest for {_ago(age)}"
                      + ("" if age <= limit.total_seconds() else " (is the worker running?)"),
                      age)
    finished = (DBTaskResult.objects.filter(finished_at__isnull=False)
                .order_by("-finished_at").values_list("finished_at", flat=True).first())
    last = _age(now, finished)
    worker = Check("worker", found.ok,
                   "no task finished yet" if last is None
                   else f"the last task finished {_ago(last)} ago", last)
    return [found, worker]


def checkpoint(now: datetime, limit: timedelta) -> Check:
    from qorgau.cases.models import Checkpoint, LedgerEntry

    last = Checkpoint.objects.order_by("-number").values_list("created_at", flat=True).first()
    if last is None:
        written = LedgerEntry.objects.exists()
        return Check("checkpoint", not written,
                     "never signed" + (" (run `checkpoint` daily)" if written else ""))
    age = int((now - last).total_seconds())
    # Its time is kept to the second: an entry of that second is taken as signed.
    late = age > limit.total_seconds() and LedgerEntry.objects.filter(
        at__gte=last + timedelta(seconds=1)).exists()
    return Check("checkpoint", not late, f"the last signed {_ago(age)} ago"
                 + (" (is the daily `checkpoint` running?)" if late else ""), age)


def report(queue_limit: timedelta = timedelta(minutes=15),
           checkpoint_limit: timedelta = timedelta(hours=3)) -> list[Check]:
    found = database()
    if not found.ok:
        return [found]
    now = timezone.now()
    return [found, *queue(now, queue_limit), checkpoint(now, checkpoint_limit)]
