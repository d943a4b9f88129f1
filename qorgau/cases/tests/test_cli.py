"""`qorgau verify` and friends work as a command, outside the test runner."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
    reason="its own SQLite instance whatever the suite's database: runs in the SQLite run")
def test_qorgau_command_runs_verify_on_demo(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QORGAU_DATA_KEYS", "SECRET_KEY", "DATABASE_URL")}
    env.update(QORGAU_ENV="development", QORGAU_DATA_DIR=str(tmp_path))
    cli = [sys.executable, "-c", "from qorgau.cli import main; main()"]

    def run(*args):
        return subprocess.run([*cli, *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=False)

    assert run("migrate", "-v0").returncode == 0
    assert run("load-demo").returncode == 0
    ok = run("verify")
    assert ok.returncode == 0, ok.stderr
    assert "OK: 21 cases" in ok.stdout and "0 broken" in ok.stdout
    # tamper with the file behind the application's back: verify must fail and say where
    import sqlite3

    db = sqlite3.connect(tmp_path / "qorgau.sqlite3")
    db.execute("UPDATE cases_event SET kind = 'hearing' WHERE number = 1 AND case_id = "
               "(SELECT id FROM cases_case WHERE reference = 'DEMO-REF1')")
    db.commit()
    db.close()
    broken = run("verify")
    assert broken.returncode != 0
    assert "case DEMO-REF1: BROKEN at entry" in broken.stderr
