"""A database written before the record shapes grew (mode, imported consent, new kinds and
attributes) still verifies after it is migrated, and after its duties are recomputed."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "instance-2026-11"
ROOT = Path(__file__).resolve().parents[2]


def qorgau(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "QORGAU_DATA_KEYS", "SECRET_KEY")}
    env.update(QORGAU_ENV="development", QORGAU_DATA_DIR=str(data),
               DATABASE_URL=f"sqlite:///{data / 'qorgau.sqlite3'}")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_an_instance_written_before_verifies_after_migrating(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("data_keys", "secret_key", "signing_key.pem", "evidence_keys"):
        shutil.copy(FIXTURE / name, data / name)
        (data / name).chmod(0o600)
    with gzip.open(FIXTURE / "qorgau.sqlite3.gz") as packed, \
            open(data / "qorgau.sqlite3", "wb") as out:
        shutil.copyfileobj(packed, out)
    migrated = qorgau(data, "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    # The fixture is the database only, without its evidence files: no evidence check.
    verified = qorgau(data, "verify", "--evidence-sample", "0")
    assert verified.returncode == 0, verified.stdout + verified.stderr[-3000:]
    assert "21 cases, 386 ledger entries checked, 0 broken" in verified.stdout
    # the new law re-derives every case's duties, each change on its case's ledger
    recomputed = qorgau(data, "recompute-obligations")
    assert recomputed.returncode == 0, recomputed.stderr[-3000:]
    again = qorgau(data, "verify", "--evidence-sample", "0")
    assert again.returncode == 0 and "0 broken" in again.stdout, again.stdout + again.stderr
    written = int(again.stdout.split(" ledger entries")[0].split()[-1])
    assert written > 386  # the recompute was recorded, and verifies too
