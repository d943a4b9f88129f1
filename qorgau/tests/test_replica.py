"""Read-heavy pages are read from a real PostgreSQL streaming replica; writes never go there.

Starts its own primary and replica (initdb, pg_basebackup -R, pg_ctl, on free loopback
ports, as the `postgres` OS user when run as root) and removes them afterwards, whatever
happens. Runs in the PostgreSQL run of the suite; skipped where the default database is
SQLite or the PostgreSQL server programs are not installed.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_basebackup"))

pytestmark = [
    pytest.mark.skipif(not BINARIES, reason="PostgreSQL server programs are not installed"),
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="runs in the PostgreSQL run of the suite"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*command: str) -> None:
    """A server program, as the `postgres` user when we are root (PostgreSQL refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)


def _server(bin_dir: str, data: str, port: int, sockets: str) -> str:
    return (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sockets} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")


@pytest.fixture
def clusters() -> Iterator[tuple[int, int]]:
    bin_dir = str(Path(BINARIES[-1]).parent)
    base = tempfile.mkdtemp(prefix="qorgau-replica-")
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
    primary, replica = f"{base}/primary", f"{base}/replica"
    primary_port, replica_port = _free_port(), _free_port()
    started = []
    try:
        _run(f"{bin_dir}/initdb", "-D", primary, "-U", "postgres", "--auth=trust",
             "--no-locale", "-E", "UTF8")
        _run(f"{bin_dir}/pg_ctl", "-D", primary, "-l", f"{base}/primary.log", "-w",
             "-o", _server(bin_dir, primary, primary_port, base), "start")
        started.append(primary)
        _run(f"{bin_dir}/pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port),
             "-U", "postgres", "-D", replica, "-R", "-X", "stream")
        _run(f"{bin_dir}/pg_ctl", "-D", replica, "-l", f"{base}/replica.log", "-w",
             "-o", _server(bin_dir, replica, replica_port, base), "start")
        started.append(replica)
        yield primary_port, replica_port
    finally:
        for data in reversed(started):
            with contextlib.suppress(subprocess.SubprocessError):
                _run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_read_heavy_pages_are_read_from_the_replica(clusters, tmp_path):
    primary_port, replica_port = clusters
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{primary_port}/postgres",
                         autocommit=True) as conn:
        conn.execute("CREATE DATABASE qorgau")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL", "QORGAU_DATA_KEYS")}
    env.update(
        QORGAU_ENV="test", DJANGO_SETTINGS_MODULE="qorgau.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary_port}/qorgau",
        DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{replica_port}/qorgau",
        QORGAU_DATA_DIR=str(tmp_path), ALLOWED_HOSTS="testserver")
    done = subprocess.run([sys.executable, str(ROOT / "qorgau/tests/replica_scenario.py")],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["replica_port"] == replica_port and seen["replica_in_recovery"] is True
    assert seen["default_port"] == primary_port
    assert seen["needs_action"] == seen["dashboard"] == seen["download"] == 200
    assert seen["first_case_listed"]
    # Replay paused: the page did not show what only the primary held; after replay it did.
    assert seen["second_case_while_paused"] is False
    assert seen["second_case_after_replay"] is True
    # The pages' reads came from the replica; the replica received no write of any kind,
    # and a write made inside a replica-reading block went to the primary.
    assert seen["page_obligation_reads"] == ["replica"]
    assert seen["page_metric_reads"] == ["replica"]
    assert seen["page_queries"]["replica"] > seen["page_queries"]["default"]
    assert seen["page_writes"] == ["default"]  # the session's new expiry
    assert seen["writes_on_replica"] == []
    assert seen["party_insert"] == ["default"]
