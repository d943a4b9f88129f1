"""The raw database holds none of the demo's names or narratives in plain text.

Runs the real start-up path (migrate + load-demo) in a subprocess against a fresh SQLite
file and a fresh PostgreSQL database, then reads what an attacker with the database alone
would see: the SQLite file bytes (with its WAL), and every PostgreSQL row as text. Each runs
once, in the run of the suite on its own database (each loads the demo in a subprocess).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]
POSTGRES = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

DUMP_PLAINTEXT = """
import json
from qorgau.cases.models import Event, Party
secrets = []
for p in Party.objects.all():
    secrets += [p.full_name, p.address, p.phone, p.documents, p.notes, p.other_names]
for e in Event.objects.all():
    secrets += [e.narrative, e.correction_reason]
print(json.dumps([s for s in secrets if s and len(s) >= 8]))
"""


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _load_demo(env: dict[str, str]) -> list[str]:
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "load-demo")
    secrets = json.loads(_manage(env, "shell", "-c", DUMP_PLAINTEXT).strip().splitlines()[-1])
    assert len(secrets) >= 20, "the demo should hold names and narratives to look for"
    assert any(any(ord(c) > 127 for c in s) for s in secrets), "expect Cyrillic/Kazakh text"
    return secrets


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QORGAU_DATA_KEYS", "SECRET_KEY")}
    env.update(QORGAU_ENV="development", QORGAU_DATA_DIR=str(tmp_path),
               DATABASE_URL=database_url)
    return env


def _leaks(secrets: list[str], haystack: bytes) -> list[str]:
    return [s for s in secrets if s.encode("utf-8") in haystack]


ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.skipif(ON_POSTGRES, reason="runs in the SQLite run of the suite")
def test_sqlite_file_bytes_hold_no_plaintext(tmp_path):
    db = tmp_path / "raw.sqlite3"
    secrets = _load_demo(_env(tmp_path, f"sqlite:///{db}"))
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("raw.sqlite3*"))
    assert len(raw) > 100_000
    assert _leaks(secrets, raw) == []
    # the check can fail: the same bytes do hold non-secret demo values in clear
    assert b"KZ-27" in raw


@pytest.mark.skipif(not ON_POSTGRES, reason="runs in the PostgreSQL run of the suite")
def test_postgres_rows_hold_no_plaintext(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    name = f"qorgau_raw_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(POSTGRES, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
        secrets = _load_demo(_env(tmp_path, url))
        rows: list[str] = []
        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            for table in tables:
                rows += [r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t')]
        text = "\n".join(rows).encode("utf-8")
        assert "cases_party" in tables and "cases_event" in tables
        assert _leaks(secrets, text) == []
        assert b"KZ-27" in text
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
