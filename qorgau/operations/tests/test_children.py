"""The processes a command forks end with it (issue 33): `recompute-obligations --jobs` and
`verify --jobs` killed with SIGKILL leave no child going on with its blocks of cases.

Each child is held mid-block on a lock taken here (a case row for the recompute, whose
blocks lock their cases as writers do; a records table for verify), so that it is certainly
at work when its parent is killed. Without the fix such a child would wait for the lock and
then go on writing after its parent was gone. PostgreSQL only (the row and table locks).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from qorgau.cases import services
from qorgau.cases.models import Case, Party
from qorgau.conftest import database_url

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif("sqlite" in database_url(),
                                reason="PostgreSQL's row and table locks hold the children")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                if f"\nPPid:\t{pid}\n" in status:
                    found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}")


def _waiting(conn: psycopg.Connection) -> list[int]:
    """The backends of this database waiting for a lock."""
    return [pid for (pid,) in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'").fetchall()]


def _backends(conn: psycopg.Connection) -> set[int]:
    return {pid for (pid,) in conn.execute("SELECT pid FROM pg_stat_activity").fetchall()}


@pytest.fixture
def watcher() -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(database_url().replace("postgres://", "postgresql://"),
                           autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def _kill_parent_while_children_wait(command: list[str], hold: psycopg.Connection,
                                     watcher: psycopg.Connection, tmp_path: Path) -> None:
    """Start `command`; once `jobs` children wait on the lock `hold` holds, SIGKILL the
    parent: the children end within seconds and their transactions with them."""
    env = {**os.environ, "QORGAU_ENV": "test", "DATABASE_URL": database_url(),
           "QORGAU_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "qorgau.settings"}
    env.pop("DATABASE_REPLICA_URL", None)
    log = tmp_path / "command.log"
    with log.open("wb") as out:
        parent = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *command],
                                  env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    children: list[int] = []
    blocked: list[int] = []
    try:
        def both_waiting() -> bool:
            assert parent.poll() is None, log.read_text()[-3000:]
            return len(_waiting(watcher)) >= 2
        _wait_for(both_waiting, 60, "two children wait on the lock")
        blocked = _waiting(watcher)
        children = _children(parent.pid)
        assert len(children) >= 2, children

        parent.kill()
        parent.wait(timeout=10)
        _wait_for(lambda: not any(map(_alive, children)), 5, "the children ended")
        # A backend waiting for a lock does not notice that its client is gone; given the
        # lock, it does: its transaction is rolled back, nothing of it stored.
        hold.rollback()
        _wait_for(lambda: not set(blocked) & _backends(watcher), 5,
                  "the children's connections closed")
    finally:
        hold.rollback()
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        for pid in children:  # only if the test failed: no process left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in blocked:
            watcher.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_recompute_children_end_with_a_killed_parent(committed_db, org, alice, watcher,
                                                     tmp_path):
    ids = [services.create_case(org, alice, region="kz-west").pk for _ in range(3)]
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as hold:
        # The first two blocks' cases, locked as a writer of those cases locks them.
        hold.execute(f'SELECT id FROM "{Case._meta.db_table}" WHERE id = ANY(%s) '  # noqa: S608
                     "FOR UPDATE", [ids[:2]])
        _kill_parent_while_children_wait(
            ["recompute-obligations", "--jobs", "2", "--block", "1", "--every", "1"],
            hold, watcher, tmp_path)


def test_verify_children_end_with_a_killed_parent(committed_db, org, alice, watcher,
                                                  tmp_path):
    for _ in range(3):
        services.create_case(org, alice, region="kz-west")
    with psycopg.connect(database_url().replace("postgres://", "postgresql://")) as hold:
        # The parties, which only the children read (the parent lists the cases).
        hold.execute(f'LOCK TABLE "{Party._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        _kill_parent_while_children_wait(["verify", "--jobs", "2", "--block", "1"],
                                         hold, watcher, tmp_path)
