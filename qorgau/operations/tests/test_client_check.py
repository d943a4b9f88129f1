"""A server process waiting on a lock for a client that was killed ends within seconds
(client_connection_check_interval, set on every connection: QORGAU_DB_CLIENT_CHECK), instead
of waiting until it gets the lock (issue 33). PostgreSQL only."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from qorgau.conftest import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("sqlite" in database_url(), reason="PostgreSQL's client check"),
]

WAITER = """
from django.db import connection
import django, sys
django.setup()
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid()")
    print(cursor.fetchone()[0], flush=True)
    cursor.execute("SELECT pg_advisory_lock(4242)")
"""


def _waiting_backend_after_kill(check: str) -> bool:
    """Hold the lock, start a client waiting for it with the app's settings, kill it; True
    when its server process is still there 4 seconds later."""
    params = connection.get_connection_params()
    url = (f"postgres://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:"
           f"{params.get('port', 5432)}/{params['dbname']}")
    env = {**os.environ, "DATABASE_URL": url, "QORGAU_DB_CLIENT_CHECK": check,
           "QORGAU_DB_LOCK_TIMEOUT": "0", "QORGAU_DB_STATEMENT_TIMEOUT": "0",
           "DJANGO_SETTINGS_MODULE": "qorgau.settings"}
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(4242)")
        waiter = subprocess.Popen([sys.executable, "-c", WAITER], env=env,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert waiter.stdout is not None
            backend = int(waiter.stdout.readline())
            deadline = time.monotonic() + 30
            while not holder.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = "
                    "'Lock'", (backend,)).fetchone():
                assert time.monotonic() < deadline, "the client never waited on the lock"
                time.sleep(0.1)
        finally:
            waiter.kill()
            waiter.wait()
        time.sleep(4)
        alive = holder.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                               (backend,)).fetchone() is not None
        holder.execute("SELECT pg_advisory_unlock(4242)")
    return alive


def test_a_killed_clients_lock_wait_ends_within_the_check_interval():
    assert not _waiting_backend_after_kill("1s")
    assert _waiting_backend_after_kill("0"), "without the check the wait goes on"
