"""Run by test_pgbouncer.py in a process of its own, connected through PgBouncer in
transaction pooling (DATABASE_URL at PgBouncer, QORGAU_DB_PGBOUNCER=1) as the web servers'
role, whose settings carry the timeouts. PgBouncer has fewer server connections than this
process has clients, so they are shared. Prints what it saw as JSON.

- Writers in four threads record events on one case at the same time (each thread a client
  of its own), through the services, as four web workers would.
- `.iterator()` over the case's ledger and the same query run 12 times (psycopg prepares a
  query after 5 runs unless told not to) go on working when, halfway, another client takes
  the server connection they ran on: no server-side cursor or prepared statement is left
  on a server connection.
- The role's settings (`lock_timeout`, `statement_timeout`, `jit`) reach the connection.
- A background task is queued, and `db_worker --batch` runs it.
- `verify --jobs 2` (two forked processes, each its own client) finds every chain whole.
"""

from __future__ import annotations

import io
import json
import os
import threading
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from qorgau.accounts.models import Organisation  # noqa: E402
from qorgau.accounts.services import add_member, create_user  # noqa: E402
from qorgau.cases import services  # noqa: E402
from qorgau.cases.models import Case, Event, LedgerEntry  # noqa: E402
from qorgau.duties.reminders import send_reminders  # noqa: E402

WRITERS, EACH = 4, 5


def event() -> services.EventInput:
    return services.EventInput(kind="physical_assault", span=services.parse_span("2024-01-05"),
                               source="survivor", reliability="probable", narrative="")


def main() -> dict[str, Any]:
    org = Organisation.objects.create(name="Pooled Centre", slug="pooled", region="kz-west")
    user = create_user("pooled@tcc.test", None, display_name="Pooled")
    add_member(user, org, "caseworker")
    cases = [services.create_case(org, user, region="kz-west").pk for _ in range(3)]

    errors: list[str] = []

    def write() -> None:
        try:
            for _ in range(EACH):
                services.record_event(Case.objects.get(pk=cases[0]), user, event())
        except Exception as exc:  # noqa: BLE001 -- reported, the test fails on it
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # A cursor over the case's ledger is opened and a query is run 6 times (psycopg would
    # prepare it from the 6th run); then another client takes the server connection they
    # ran on (the most recently used one: server_round_robin = 0) in a transaction, so the
    # rest of the reading and the same query run on another server connection.
    entries = LedgerEntry.objects.filter(case_id=cases[0]).iterator(chunk_size=2)
    read = sum(1 for _ in zip(range(2), entries, strict=False))
    repeated = sum(Event.objects.filter(case_id=cases[0]).count() for _ in range(6))
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Case.objects.filter(pk=cases[2]).select_for_update().get()
                holding.set()
                done.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        holding.wait(30)
        read += sum(1 for _ in entries)
        repeated += sum(Event.objects.filter(case_id=cases[0]).count() for _ in range(6))
    finally:
        done.set()
        holder.join()

    with connection.cursor() as cursor:
        found = {}
        for name in ("lock_timeout", "statement_timeout", "jit"):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    raw = connection.connection
    task = send_reminders.enqueue().id
    connections.close_all()
    worker = io.StringIO()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, stdout=worker)
    verified = io.StringIO()
    call_command("verify", jobs=2, block=1, stdout=verified, stderr=verified)
    return {
        "cases": cases,
        "events": Event.objects.filter(case_id=cases[0]).count(),
        "errors": errors,
        "ledger_read": read,
        "ledger": LedgerEntry.objects.filter(case_id=cases[0]).count(),
        "repeated": repeated,
        "settings": found,
        "prepare_threshold": getattr(raw, "prepare_threshold", "?"),
        "server_side_cursors": not connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"],
        "task": DBTaskResult.objects.get(pk=task).status,
        "worker": worker.getvalue()[-2000:],
        "verify": verified.getvalue(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))  # noqa: T201
