"""django-tasks' `db_worker`, with what a crash leaves behind taken care of.

On start it removes plaintext that a killed upload left (evidence.services.clean_leftovers)
and re-queues or fails tasks whose worker died (operations.workers); while it runs it keeps
a heartbeat so that other workers can tell it is alive.

A database that goes away (PostgreSQL restarted, a failover, the network) does not end it:
django-tasks' loop raises the connection error, and the worker waits (1, 2, 4, then every
5 s), connects again and goes on taking tasks in the same process. A task it was running
when the connection broke is queued again (or failed after its attempts), as a dead
worker's would be; so is one that fails on the lost connection itself, before
it is recorded failed (operations.workers.requeue_if_lost).
"""

import logging
import os
import time
from typing import Any

from django.core.management import CommandError
from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from qorgau.evidence.services import clean_leftovers
from qorgau.operations import custody
from qorgau.operations.workers import Heartbeat, recover, requeue_if_lost

log = logging.getLogger(__name__)
LONGEST_WAIT = 5.0  # seconds between two attempts to reach the database
KEY_POLL_SECONDS = 2.0  # locked (trustee custody): how often to ask the key agent


def _wait_for_keys() -> None:
    """Trustee custody: take no task while the instance is locked. The keys come from the
    key agent (or were opened by `qorgau unlock db_worker`); a panic lock then ends this
    process, keys and all, and its supervisor starts it again, locked, waiting here."""
    if not custody.trustee_custody():
        return
    custody.exit_on_lock = True
    waiting = False
    while custody.locked():
        if not waiting:
            log.warning("the instance is locked: waiting for the trustees' shares (through "
                        "the key agent) before taking tasks")
            waiting = True
        time.sleep(KEY_POLL_SECONDS)
    if waiting:
        log.warning("keys received from the key agent: taking tasks")


class LosslessWorker(Worker):
    """django-tasks' worker loop; a task failed by a lost connection is queued again where
    django-tasks would record it failed, so that its row never reads FAILED in between."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        record_failure = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            if not requeue_if_lost(db_task_result, exc):
                record_failure(exc)

        db_task_result.set_failed = set_failed  # type: ignore[method-assign]
        super().run_task(db_task_result)


class Command(DatabaseWorker):
    help = DatabaseWorker.help

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the worker runs in a child process (which runs this again).
        if options.get("reload") and not options.get("batch") and (
                os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"):
            super().handle(*args, **options)
            return
        clean_leftovers()
        _wait_for_keys()
        heartbeat = Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            self._work(*args, **options)
        finally:
            heartbeat.stop()

    def _work(self, *args: Any, **options: Any) -> None:
        failures = 0
        while True:
            try:
                if failures:
                    recover(gone=options["worker_id"])
                self._run(**options)
                return
            except (OperationalError, InterfaceError) as exc:
                failures += 1
                wait = min(LONGEST_WAIT, 2.0 ** (min(failures, 4) - 1))
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("the database cannot be reached (%s); trying again in %.0f s",
                            first_line, wait)
                connections.close_all()
                time.sleep(wait)
                options["startup_delay"] = False

    def _run(self, **options: Any) -> None:
        """As django-tasks' own `handle` (in the reloader's child with --reload), with the
        LosslessWorker."""
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LosslessWorker(
            queue_names=queue_names, interval=options["interval"], batch=options["batch"],
            backend_name=options["backend_name"], startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"], worker_id=options["worker_id"],
            excluded_queue_names=excluded)
        worker.configure_signals()
        if options["reload"] and not options["batch"]:
            run_with_reloader(worker.run)
        else:
            worker.run()
