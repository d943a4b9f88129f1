"""The raid drill keeps working (issue 29): scripts/raid_drill.py --small on throw-away
folders and databases (PostgreSQL when the tests run on it): keys wrapped for trustees, a
backup, the panic lock, no key's bytes on the seized disk, in the database or the backup,
and a restore on a new server with 2 other trustees' shares that `verify` passes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def test_the_raid_drill_passes():
    on_postgres = connection.vendor == "postgresql"
    started = time.monotonic()
    drill = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "raid_drill.py"), "--small",
         *([] if on_postgres else ["--sqlite"])],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    print(drill.stdout, f"\n{time.monotonic() - started:.0f} s")
    assert drill.returncode == 0, drill.stdout + drill.stderr
    out = drill.stdout
    assert ("PostgreSQL" if on_postgres else "SQLite") in out.splitlines()[0]
    assert out.count("key bytes found: none") == 3  # data folder, database, backup
    assert "Locked (lock 1)" in out
    assert "verify reads no case: The instance is locked" in out
    assert "every case and checkpoint verifies" in out
    assert "verify --evidence with trustees 2 and 3: OK: 2 cases" in out
    assert "0 broken" in out and "OK: raid drill passed" in out
