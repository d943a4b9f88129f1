"""Tasks for the fault tests: they note which process ran them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from django.db import connection, transaction
from django_tasks import task


def _note(path: str, text: str) -> None:
    partial = Path(f"{path}.partial")
    partial.write_text(text)
    partial.rename(path)  # whole, for the test that waits for it


@task()
def note_pid(path: str) -> int:
    _note(path, str(os.getpid()))
    return os.getpid()


@task()
def lose_connection_once(path: str, atomic: bool) -> int:
    """The first run notes its database backend's process id in `path`.backend and waits
    in a query (in a transaction if `atomic`) for the test to end that backend; a later run
    notes its process id in `path`, as note_pid does."""
    backend = f"{path}.backend"
    if not Path(backend).exists():
        in_transaction = transaction.atomic() if atomic else contextlib.nullcontext()
        with in_transaction, connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _note(backend, str(cursor.fetchone()[0]))
            cursor.execute("SELECT pg_sleep(60)")
    _note(path, str(os.getpid()))
    return os.getpid()
