"""Faults of a real PostgreSQL server, on a private throw-away cluster (initdb and pg_ctl on a
free loopback port, as the `postgres` OS user when run as root, as test_replica does):

- the background worker survives a restart of the server: the same process takes a task
  queued after it (issue 33, finding 2);
- with every connection taken, the web app answers 503 with a plain message, not a 500,
  and answers normally again once connections are free (finding 3).

Runs in the PostgreSQL run of the suite; skipped on SQLite and where the server programs are
not installed.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg.types.json import Jsonb

from qorgau.conftest import database_url

ROOT = Path(__file__).resolve().parents[3]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))

pytestmark = [
    pytest.mark.django_db,  # so that the test database (whose schema is copied) is set up
    pytest.mark.skipif(not BINARIES, reason="PostgreSQL server programs are not installed"),
    pytest.mark.skipif("sqlite" in database_url(),
                       reason="PostgreSQL's restarts and connection limit"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*command: str, stdin: bytes | None = None) -> None:
    """A server program, as the `postgres` user when we are root (PostgreSQL refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120,
                   input=stdin)


@dataclass
class Cluster:
    bin_dir: str
    data: str
    base: str
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/qorgau"

    options: str

    def restart(self, down: float) -> None:
        """pg_ctl stop -m fast (every connection terminated), down for `down` seconds (a
        worker polling meanwhile is refused, not only reconnected by a health check), start."""
        _run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop")
        time.sleep(down)
        _run(f"{self.bin_dir}/pg_ctl", "-D", self.data, "-l", f"{self.base}/log", "-w",
             "-o", self.options, "start")

    def env(self, data_dir: Path) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "DATABASE_REPLICA_URL")}
        return {**keep, "QORGAU_ENV": "test", "DJANGO_SETTINGS_MODULE": "qorgau.settings",
                "DATABASE_URL": self.url, "QORGAU_DATA_DIR": str(data_dir),
                "QORGAU_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "ALLOWED_HOSTS": "127.0.0.1"}


@pytest.fixture(scope="module")
def cluster(django_db_setup: None) -> Iterator[Cluster]:
    """A private server with few connections (20), holding the test database's schema."""
    bin_dir = str(Path(BINARIES[-1]).parent)
    base = tempfile.mkdtemp(prefix="qorgau-faults-")
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(base, entry.pw_uid, entry.pw_gid)
    data, port = f"{base}/data", _free_port()
    started = False
    try:
        _run(f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
             "--no-locale", "-E", "UTF8")
        options = (f"-p {port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={base} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=20")
        _run(f"{bin_dir}/pg_ctl", "-D", data, "-l", f"{base}/log", "-w", "-o", options,
             "start")
        started = True
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE qorgau")
        # The migrated test database's schema (seconds faster than migrating again).
        source = connection.settings_dict
        schema = subprocess.run(
            [f"{bin_dir}/pg_dump", "--schema-only", "--no-owner", "-h",
             source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432), "-U",
             source["USER"] or "postgres", source["NAME"]],
            check=False, capture_output=True, timeout=60)
        assert schema.returncode == 0, schema.stderr.decode()
        subprocess.run([f"{bin_dir}/psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                        "-p", str(port), "-U", "postgres", "qorgau"],
                       input=schema.stdout, check=True, capture_output=True, timeout=60)
        yield Cluster(bin_dir, data, base, port, options)
    finally:
        if started:
            with contextlib.suppress(subprocess.SubprocessError):
                _run(f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _wait_for(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def _enqueue(cluster: Cluster, path: Path, task: str = "note_pid", *args: object) -> uuid.UUID:
    """Queues fault_tasks.note_pid(path) (or another of them) as the database backend does
    (a READY row), over a new connection (a Django process takes seconds to start on a busy
    machine)."""
    task_id = uuid.uuid4()
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(
            "INSERT INTO django_tasks_database_dbtaskresult (id, status, args_kwargs, "
            "priority, task_path, queue_name, backend_name, run_after, enqueued_at, "
            "exception_class_path, traceback, worker_ids) VALUES (%s, 'READY', %s, 0, "
            "%s, 'default', 'default', '9999-01-01T00:00:00Z', now(), '', '', '[]')",
            [task_id, Jsonb({"args": [str(path), *args], "kwargs": {}}),
             f"qorgau.operations.tests.fault_tasks.{task}"])
    return task_id


def _task(cluster: Cluster, task_id: uuid.UUID) -> tuple[str, list[str], str]:
    """A task's status, the workers that claimed it, and its exception if it failed."""
    with psycopg.connect(cluster.url.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute("SELECT status, worker_ids, exception_class_path FROM "
                           "django_tasks_database_dbtaskresult WHERE id = %s",
                           [task_id]).fetchone()
    assert row is not None
    return row


def _finished(cluster: Cluster, task_id: uuid.UUID) -> bool:
    """Whether the task finished (successfully: else an AssertionError)."""
    status, _workers, exception = _task(cluster, task_id)
    assert status != "FAILED", exception
    return status == "SUCCESSFUL"


def test_the_worker_survives_a_restart_of_postgresql(cluster, tmp_path):
    env = cluster.env(tmp_path / "data")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload",
             "--no-startup-delay", "--interval", "0.2"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        before, after = tmp_path / "before", tmp_path / "after"
        first = _enqueue(cluster, before)
        _wait_for(lambda: _finished(cluster, first) or worker.poll() is not None, 30,
                  "the task queued before the restart ran")
        assert worker.poll() is None, log.read_text()[-3000:]
        assert before.read_text() == str(worker.pid)

        cluster.restart(down=1.0)
        second = _enqueue(cluster, after)
        _wait_for(lambda: _finished(cluster, second) or worker.poll() is not None, 30,
                  "the task queued after the restart ran")
        assert worker.poll() is None, log.read_text()[-3000:]
        assert after.read_text() == str(worker.pid)  # the same process, no restart
        assert "the database cannot be reached" in log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.mark.parametrize("atomic", [False, True], ids=["autocommit", "in-a-transaction"])
def test_a_task_whose_connection_is_cut_runs_again(cluster, tmp_path, atomic):
    """The worker's connection ended under a running task (pg_terminate_backend, as a
    failover or an administrator would): the task is queued again and run to its end by the
    same worker, not left RUNNING nor failed for a moment's loss."""
    env = cluster.env(tmp_path / "data")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload",
             "--no-startup-delay", "--interval", "0.2"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        ran = tmp_path / "ran"
        task_id = _enqueue(cluster, ran, "lose_connection_once", atomic)
        backend = Path(f"{ran}.backend")
        _wait_for(lambda: backend.exists() or worker.poll() is not None, 30,
                  "the task waits in its query")
        assert worker.poll() is None, log.read_text()[-3000:]
        with psycopg.connect(cluster.url.replace("postgres://", "postgresql://"),
                             autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", [int(backend.read_text())])

        _wait_for(lambda: _task(cluster, task_id)[0] in ("SUCCESSFUL", "FAILED")
                  or worker.poll() is not None, 30, "the task finished")
        assert worker.poll() is None, log.read_text()[-3000:]
        status, worker_ids, exception = _task(cluster, task_id)
        assert (status, exception) == ("SUCCESSFUL", ""), log.read_text()[-3000:]
        assert len(worker_ids) == 2  # claimed again after the loss
        assert ran.read_text() == str(worker.pid)  # by the same process
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _get(url: str) -> tuple[int, dict[str, str], str]:
    # A session cookie: loading its session needs the database, as every signed-in page does.
    request = urllib.request.Request(  # noqa: S310 -- http://127.0.0.1 only
        url, headers={"Cookie": "sessionid=nosuchsession"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_no_connection_to_be_had_is_a_503_and_passes(cluster, tmp_path):
    env = cluster.env(tmp_path / "data")
    port = _free_port()
    web = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "qorgau.wsgi", "-b",
         f"127.0.0.1:{port}", "-w", "1", "--timeout", "60"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    held: list[psycopg.Connection] = []
    try:
        def listening() -> bool:
            assert web.poll() is None, web.stderr.read() if web.stderr else ""
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        _wait_for(listening, 30, "gunicorn listens")
        # Others take every connection the server has (an exhausted budget).
        while True:
            try:
                held.append(psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{cluster.port}/qorgau"))
            except psycopg.OperationalError as exc:
                assert "too many clients" in str(exc)
                break
        login = f"http://127.0.0.1:{port}/accounts/login/"
        status, headers, body = _get(login)
        assert status == 503, body[-2000:]
        assert headers["Retry-After"] == "10"
        assert "The service is busy right now; try again in a moment." in body
        assert "Traceback" not in body and "too many clients" not in body
        status, headers, body = _get(f"http://127.0.0.1:{port}/api/v1/cases")
        assert status == 503 and headers["Retry-After"] == "10"
        assert json.loads(body)["code"] == "database_unavailable"

        for conn in held:  # connections free up: answered as usual again
            conn.close()
        held.clear()
        status, _headers, body = _get(login)
        assert status == 200, body[-2000:]
    finally:
        for conn in held:
            conn.close()
        web.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        web.wait(timeout=20)
