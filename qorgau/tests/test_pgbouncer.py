"""PgBouncer in transaction pooling in front of the test PostgreSQL (issue 33): Qorgau with
QORGAU_DB_PGBOUNCER=1 works through it, and what docs/operations.md says breaks without the
setting does break.

PgBouncer (Debian's `pgbouncer`) runs on a free loopback port with its configuration in a
temporary folder (as the `postgres` OS user when we are root: PgBouncer refuses root), with
two server connections per database and user, fewer than the clients, so that clients share
them. The web servers' role carries the timeouts (`ALTER ROLE ... SET`), as the docs say.

- `pgbouncer_scenario.py`, a process of its own as the web role: four threads record events
  on one case at once; `.iterator()` and a query run 12 times go on working after another
  client took the server connection they ran on; the role's settings arrive; a background
  task is queued and `db_worker --batch` runs it; `verify --jobs 2` finds every chain whole.
- Without the setting: the startup `options` are refused by PgBouncer; a prepared statement
  and a cursor WITH HOLD are missing on the next server connection.

Runs in the PostgreSQL run of the suite; skipped on SQLite and where PgBouncer is not
installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from qorgau.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")

pytestmark = [
    pytest.mark.skipif(PGBOUNCER is None, reason="PgBouncer is not installed"),
    pytest.mark.skipif("sqlite" in database_url(), reason="PgBouncer is for PostgreSQL"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Bouncer:
    port: int
    database: str
    web_role: str
    log: Path

    def url(self, role: str = "postgres") -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{self.database}"

    def env(self, data_dir: Path, role: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL", "QORGAU_DB_PGBOUNCER")}
        return {**keep, "QORGAU_ENV": "test", "DJANGO_SETTINGS_MODULE": "qorgau.settings",
               "DATABASE_URL": self.url(role), "QORGAU_DATA_DIR": str(data_dir),
               "QORGAU_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
               "PYTHONPATH": str(ROOT),
               # The keys of this process (a test process makes up its own otherwise).
               "QORGAU_DATA_KEYS": ",".join(settings.QORGAU_DATA_KEYS),
               "QORGAU_EVIDENCE_KEYS": ",".join(settings.QORGAU_EVIDENCE_KEYS),
               "QORGAU_SIGNING_KEY": settings.QORGAU_SIGNING_KEY,
               "QORGAU_DB_PGBOUNCER": "1"}


def _direct() -> psycopg.Connection:
    """A connection to the test server itself (not through PgBouncer), autocommit."""
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                           user=db["USER"] or "postgres", dbname=db["NAME"],
                           autocommit=True)


@pytest.fixture(scope="module")
def web_role(django_db_setup: None) -> Iterator[str]:
    """The web servers' role, with the timeouts on it (a unique name: roles are shared by
    every database of the server)."""
    role = f"qorgau_web_{uuid.uuid4().hex[:8]}"
    with _direct() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        try:
            for setting in ("lock_timeout = '5s'", "statement_timeout = '30s'", "jit = off"):
                conn.execute(f"ALTER ROLE {role} SET {setting}")
            conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
            conn.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
            yield role
        finally:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE usename = %s", [role])
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


@pytest.fixture(scope="module")
def bouncer(web_role: str) -> Iterator[Bouncer]:
    db = connection.settings_dict
    base = Path(tempfile.mkdtemp(prefix="qorgau-pgbouncer-"))
    port = _free_port()
    (base / "users.txt").write_text(f'"postgres" ""\n"{web_role}" ""\n')
    (base / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={db["HOST"] or "127.0.0.1"} port={db["PORT"] or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {base}/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 100
server_round_robin = 0
""")
    uid: int | None = None
    gid: int | None = None
    groups: list[int] | None = None
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        entry = pwd.getpwnam("postgres")
        for path in (base, *base.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        uid, gid, groups = entry.pw_uid, entry.pw_gid, []
    log = base / "pgbouncer.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(PGBOUNCER), str(base / "pgbouncer.ini")],
                                   stdout=out, stderr=subprocess.STDOUT, user=uid,
                                   group=gid, extra_groups=groups)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, log.read_text()
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield Bouncer(port, db["NAME"], web_role, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base, ignore_errors=True)


def test_qorgau_works_through_pgbouncer_in_transaction_pooling(committed_db, bouncer,
                                                                 tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "qorgau/tests/pgbouncer_scenario.py")],
        env=bouncer.env(tmp_path / "data", bouncer.web_role), cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == []
    assert seen["events"] == 20  # 4 writers × 5 events, none lost
    assert seen["ledger_read"] == seen["ledger"] > 20
    assert seen["repeated"] == 12 * 20
    assert seen["settings"] == {"lock_timeout": "5s", "statement_timeout": "30s",
                                "jit": "off"}
    assert seen["prepare_threshold"] is None and seen["server_side_cursors"] is False
    assert seen["task"] == "SUCCESSFUL", seen["worker"]
    assert "OK: 3 cases" in seen["verify"] and " 0 broken" in seen["verify"], seen["verify"]


def _pooled(bouncer: Bouncer, **options: object) -> psycopg.Connection:
    return psycopg.connect(bouncer.url().replace("postgres://", "postgresql://"),
                           autocommit=True, **options)  # type: ignore[arg-type]


def test_without_the_setting_what_the_docs_say_breaks(bouncer):
    # Session settings at connection start (what Qorgau sends without QORGAU_DB_PGBOUNCER).
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter"):
        _pooled(bouncer, options="-c jit=off -c lock_timeout=5s").close()

    with contextlib.ExitStack() as stack:
        # psycopg preparing every statement (Django leaves it off; the setting pins it off).
        client = stack.enter_context(_pooled(bouncer, prepare_threshold=0))
        other = stack.enter_context(_pooled(bouncer))
        # Prepared on one server connection...
        client.execute("SELECT 1 + %s", [1])
        client.execute("SELECT %s::text", ["cursor"])
        client.execute("DECLARE held CURSOR WITH HOLD FOR SELECT generate_series(1, 3)")
        # ...which another client then holds in a transaction: the next statement of this
        # client goes to another server connection, without them.
        stack.enter_context(other.transaction())
        other.execute("SELECT pg_backend_pid()")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            client.execute("SELECT 1 + %s", [1])
        with pytest.raises(psycopg.errors.InvalidCursorName):
            client.execute("FETCH 1 FROM held", prepare=False)
