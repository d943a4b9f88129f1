"""django-tasks' `db_worker`, with what a crash leaves behind taken care of.

On start it removes plaintext that a killed upload left (evidence.services.clean_leftovers)
and re-queues or fails tasks whose worker died (operations.workers); while it runs it keeps
a heartbeat so that other workers can tell it is alive.

A database that goes away (PostgreSQL restarted, a failover, the network) does not end it:
django-tasks' loop raises the connection error, and the worker waits (1, 2, 4, then every
5 s), connects again and goes on taking tasks in the same process. A task it was running
when the connection broke is queued again (or failed after its attempts), as a dead
worker's would be; so is one that failed on the lost connection itself
(operations.workers.requeue_if_lost).
"""

import logging
import os
import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.compat import task_finished
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

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
        task_finished.connect(requeue_if_lost, dispatch_uid="qorgau-requeue-if-lost")
        try:
            self._work(*args, **options)
        finally:
            task_finished.disconnect(dispatch_uid="qorgau-requeue-if-lost")
            heartbeat.stop()

    def _work(self, *args: Any, **options: Any) -> None:
        failures = 0
        while True:
            try:
                if failures:
                    recover(gone=options["worker_id"])
                super().handle(*args, **options)
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
