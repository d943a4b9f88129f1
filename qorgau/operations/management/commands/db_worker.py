"""django-tasks' `db_worker`, with what a crash leaves behind taken care of.

On start it removes plaintext that a killed upload left (evidence.services.clean_leftovers)
and re-queues or fails tasks whose worker died (operations.workers); while it runs it keeps
a heartbeat so that other workers can tell it is alive.
"""

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from qorgau.evidence.services import clean_leftovers
from qorgau.operations.workers import Heartbeat


class Command(DatabaseWorker):
    help = DatabaseWorker.help

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the worker runs in a child process (which runs this again).
        if options.get("reload") and not options.get("batch") and (
                os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"):
            super().handle(*args, **options)
            return
        clean_leftovers()
        heartbeat = Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()
