"""Run by test_replica.py in a process of its own, against a real primary and its streaming
replica (DATABASE_URL, DATABASE_REPLICA_URL). Prints what it saw as JSON.

Writes go through the services on the primary; the read-heavy pages are then requested with
Django's test client while every query is recorded with the alias that ran it. Replay on the
replica is paused for a moment to show which server a page was read from.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
django.setup()

from allauth.account.signals import user_logged_in  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from qorgau.accounts.models import Organisation  # noqa: E402
from qorgau.accounts.services import add_member, create_user, enrol_totp  # noqa: E402
from qorgau.cases import services  # noqa: E402
from qorgau.cases.models import Case  # noqa: E402
from qorgau.conftest import TOTP_SECRET, _full_login  # noqa: E402
from qorgau.replica import reads_from_replica  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP", "TRUNCATE")


def scalar(alias: str, sql: str) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replay() -> None:
    """Until the replica has replayed everything the primary wrote so far.

    The insert position, not the write position: with synchronous_commit off a commit can sit
    in the WAL buffers, past pg_current_wal_lsn(), for up to wal_writer_delay."""
    target = scalar("default", "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if scalar("replica", f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise RuntimeError("the replica did not catch up in 30 s")


def reported_case(org: Organisation, user: Any) -> str:
    """A case whose report to police went unanswered: overdue on Needs action."""
    case = services.create_case(org, user, region="kz-west")
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    services.record_event(case, user, services.EventInput(
        kind="police_report", span=services.parse_span(day), source="survivor",
        reliability="probable", institution="police"))
    return case.reference


class Recorder:
    """Every query with the alias that ran it, and what was going on: a page or a write."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, str, str]] = []
        self.doing = ""

    def wrapper(self, alias: str) -> Any:
        def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.queries.append((self.doing, alias, sql))
            return execute(sql, params, many, context)
        return record

    def of(self, doing: str) -> list[tuple[str, str]]:
        return [(alias, sql) for what, alias, sql in self.queries if what == doing]


def main() -> None:
    call_command("migrate", verbosity=0)
    org = Organisation.objects.create(name="Centre", slug="centre", shares_aggregates=True)
    user = create_user("supervisor@example.test", None)
    add_member(user, org, "supervisor")
    enrol_totp(user, TOTP_SECRET)
    first = reported_case(org, user)
    wait_for_replay()

    user_logged_in.connect(_full_login, dispatch_uid="replica-full-login")
    client = Client()
    client.force_login(user)
    recorder = Recorder()
    pages = {"needs_action": reverse("duties:needs_action"),
             "dashboard": reverse("insights:dashboard"),
             "download": reverse("insights:download", args=["orders_issued", "csv"])}
    seen: dict[str, Any] = {}

    def page(url: str) -> Any:
        recorder.doing = "page"
        try:
            return client.get(url)
        finally:
            recorder.doing = "write"

    with connections["default"].execute_wrapper(recorder.wrapper("default")), \
            connections["replica"].execute_wrapper(recorder.wrapper("replica")):
        for name, url in pages.items():
            seen[name] = page(url).status_code
        seen["first_case_listed"] = first in page(pages["needs_action"]).content.decode()

        # Replay paused: what the primary now holds is not on the replica yet.
        scalar("replica", "SELECT pg_wal_replay_pause()::text")
        second = reported_case(org, user)
        seen["second_case_while_paused"] = (
            second in page(pages["needs_action"]).content.decode())
        scalar("replica", "SELECT pg_wal_replay_resume()::text")
        wait_for_replay()
        seen["second_case_after_replay"] = (
            second in page(pages["needs_action"]).content.decode())

        # A write inside a replica-reading block still goes to the primary.
        with reads_from_replica():
            services.add_party(Case.objects.get(reference=second), user,
                               role="survivor", relationship="self", full_name="A. B.")

    seen["replica_port"] = scalar("replica", "SELECT inet_server_port()")
    seen["replica_in_recovery"] = scalar("replica", "SELECT pg_is_in_recovery()")
    seen["default_port"] = scalar("default", "SELECT inet_server_port()")
    everything = recorder.of("page") + recorder.of("write")
    seen["writes_on_replica"] = [sql for alias, sql in everything if alias == "replica"
                                 and (sql.lstrip().upper().startswith(WRITES)
                                      or "FOR UPDATE" in sql.upper())]
    seen["page_obligation_reads"] = sorted({alias for alias, sql in recorder.of("page")
                                            if '"duties_obligation"' in sql})
    seen["page_metric_reads"] = sorted({alias for alias, sql in recorder.of("page")
                                        if '"insights_metriccount"' in sql})
    seen["page_writes"] = sorted({alias for alias, sql in recorder.of("page")
                                  if sql.lstrip().upper().startswith(WRITES)})
    seen["party_insert"] = sorted({alias for alias, sql in recorder.of("write")
                                   if sql.startswith('INSERT INTO "cases_party"')})
    seen["page_queries"] = {alias: sum(1 for a, _s in recorder.of("page") if a == alias)
                            for alias in ("default", "replica")}
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
