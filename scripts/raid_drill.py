#!/usr/bin/env python3
"""The raid drill (issue 29; docs/operations.md, "The raid drill").

On throw-away data folders and databases (PostgreSQL at 127.0.0.1:5432 when it answers,
else SQLite; --sqlite forces it) it plays an office raid from start to end and prints what
each step shows:

 1. an instance with the demo data, production settings, its keys in the environment;
 2. the keys wrapped for 3 trustees (any 2 open them), and removed from the environment;
 3. a backup, made under `qorgau unlock` with 2 shares;
 4. the raid: the instance is locked (`qorgau lock`), the disk and the database are seized;
    the data folder and a dump of the database are searched for every key's bytes;
 5. a new server: an empty data folder and database, the copy of wrapped_keys.json kept off
    the server, the backup restored with the backup identity under 2 other trustees'
    shares (1 share alone is refused), and `verify --evidence` passes.

Run: .venv/bin/python scripts/raid_drill.py [--sqlite] [--keep]
Exit status 0 when every step showed what it should; 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qorgau.crypto import generate_key  # noqa: E402
from qorgau.keys import age_public_key, new_age_identity, new_signing_key_pem  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
STARTED = time.monotonic()


ROOTS: list[str] = []  # the throw-away folder, shown as $DRILL


def say(text: str) -> None:
    for root in ROOTS:
        text = text.replace(root, "$DRILL")
    print(f"[{time.monotonic() - STARTED:5.1f}s] {text}", flush=True)


def fail(text: str) -> None:
    say(f"FAILED: {text}")
    raise SystemExit(1)


def qorgau(env: dict[str, str], *args: str, stdin: str = "",
           check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-c", "from qorgau.cli import main; main()", *args],
                          cwd=ROOT, env=env, input=stdin, capture_output=True, text=True,
                          timeout=600, check=False)
    if check and done.returncode != 0:
        fail(f"qorgau {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def postgres_answers() -> bool:
    try:
        import psycopg

        psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
        return True
    except Exception:
        return False


def psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


class Server:
    """A data folder and a database: one machine of the drill."""

    def __init__(self, root: Path, name: str, postgres: bool) -> None:
        self.data = root / name / "data"
        self.data.mkdir(parents=True)
        self.postgres = postgres
        if postgres:
            self.db_name = f"qorgau_drill_{name}_{uuid.uuid4().hex[:8]}"
            psql(f'CREATE DATABASE "{self.db_name}"')
            self.url = f"{PG}/{self.db_name}"
        else:
            self.db_file = root / name / "db.sqlite3"  # on the same disk as the data folder
            self.url = f"sqlite:///{self.db_file}"

    def env(self, base: dict[str, str], **extra: str) -> dict[str, str]:
        return {**base, "DATABASE_URL": self.url, "QORGAU_DATA_DIR": str(self.data),
                "QORGAU_EVIDENCE_DIR": str(self.data / "evidence"), **extra}

    def database_dump(self) -> bytes:
        if not self.postgres:
            return self.db_file.read_bytes()
        return subprocess.run(["pg_dump", "--no-owner", self.url], capture_output=True,
                              check=True).stdout

    def drop(self) -> None:
        if self.postgres:
            psql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


def key_patterns(data_key: str, evidence_key: str, signing_pem: str) -> dict[str, list[bytes]]:
    """Each key as it could sit on a disk: its text, its raw bytes, their hex."""
    from cryptography.hazmat.primitives import serialization

    raw_data = base64.urlsafe_b64decode(data_key)
    private = serialization.load_pem_private_key(signing_pem.encode(), password=None)
    raw_signing = private.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
        serialization.NoEncryption())
    pem_body = "".join(signing_pem.strip().splitlines()[1:-1])
    return {
        "data key": [data_key.encode(), raw_data, raw_data.hex().encode(),
                     raw_data[16:], raw_data[:16]],
        "evidence key": [evidence_key.encode(), evidence_key.lower().encode()],
        "signing key": [pem_body.encode(), raw_signing, raw_signing.hex().encode()],
    }


def search(blob: bytes, patterns: dict[str, list[bytes]]) -> list[str]:
    return [name for name, forms in patterns.items() if any(f in blob for f in forms)]


def shares_in(output: str) -> list[str]:
    return re.findall(r"share \d+:\n(.+)", output)


def drill(root: Path, postgres: bool, small: bool = False) -> None:
    ROOTS.append(str(root))
    say("Throw-away servers in $DRILL (a new temporary folder), database: "
        f"{'PostgreSQL at 127.0.0.1:5432' if postgres else 'SQLite'}")
    data_key, evidence_key = generate_key(), new_age_identity()
    signing_key, backup_identity = new_signing_key_pem(), new_age_identity()
    identity_file = root / "backup-identity.txt"  # with the custodians, never on a server
    identity_file.write_text(backup_identity + "\n")
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("QORGAU_", "DATABASE_URL", "SECRET_KEY", "DJANGO_"))}
    base.update(QORGAU_ENV="production", SECRET_KEY=generate_key() + generate_key(),
                ALLOWED_HOSTS="127.0.0.1", QORGAU_BACKUP_RECIPIENTS=age_public_key(
                    backup_identity))
    keys_in_env = {"QORGAU_DATA_KEYS": data_key, "QORGAU_EVIDENCE_KEYS": evidence_key,
                   "QORGAU_SIGNING_KEY": signing_key}
    patterns = key_patterns(data_key, evidence_key, signing_key)

    office = Server(root, "office", postgres)
    new_server = None
    try:
        say("1. The office server: production settings, keys in the environment, demo data")
        env = office.env(base, **keys_in_env)
        qorgau(env, "migrate", "--no-input")
        if small:  # the test's drill: the reference case (with its exhibits) and one more
            loaded = qorgau(env, "shell", "-c", "from qorgau.demo import loader; "
                            "specs = loader.case_specs()[:2]; loader.case_specs = lambda: specs; "
                            "print('Demo cases:', ', '.join(loader.load_demo().cases_created)); "
                            "from django.core.management import call_command; "
                            "call_command('checkpoint')")
            say("   " + next(line for line in loaded.stdout.splitlines()
                             if line.startswith("Demo cases")))
        else:
            loaded = qorgau(env, "load-demo", "--allow-production")
            say("   " + loaded.stdout.strip().splitlines()[-1])
            qorgau(env, "checkpoint")

        say("2. The keys wrapped for 3 trustees, any 2 of which open them")
        wrapped = qorgau(env, "wrap-keys", "--threshold", "2", "--shares", "3")
        shares = shares_in(wrapped.stdout)
        if len(shares) != 3:
            fail(f"expected 3 shares, got {len(shares)}")
        say(f"   3 shares of {len(shares[0].split())} words each; the data folder holds "
            f"{sorted(p.name for p in office.data.iterdir())}")
        off_site_copy = root / "wrapped_keys.json.off-site"  # kept by the organisation
        shutil.copy(office.data / "wrapped_keys.json", off_site_copy)
        env = office.env(base, QORGAU_KEY_CUSTODY="trustees")  # the keys leave the environment
        if not small:  # (the test's drill leaves out what test_custody.py shows)
            one = qorgau(env, "unlock", stdin=shares[0] + "\n", check=False)
            if one.returncode == 0 or "Not enough shares" not in one.stderr:
                fail(f"one share unlocked the keys: {one.stdout}{one.stderr}")
            say("   one trustee's share alone: refused ('Not enough shares were given')")

        say("3. A backup, made with 2 trustees' shares (trustees 1 and 2)")
        archive = root / "qorgau-backup.tar.age"  # off the server, as the backups are
        made = qorgau(env, "unlock", "backup", "--output", str(archive),
                      stdin=f"{shares[0]}\n{shares[1]}\n")
        say("   " + made.stdout.strip().splitlines()[-1])

        say("4. The raid: the instance is locked, then its disk and database are seized")
        locked = qorgau(env, "lock")
        say("   " + locked.stdout.strip())
        files = [p for p in office.data.rglob("*") if p.is_file()]
        disk = b"".join(p.read_bytes() for p in files)
        dump = office.database_dump()
        found_disk, found_db = search(disk, patterns), search(dump, patterns)
        found_archive = search(archive.read_bytes(), patterns)
        say(f"   data folder: {len(files)} files, {len(disk):,} bytes; key bytes found: "
            f"{found_disk or 'none'}")
        say(f"   database ({'pg_dump' if postgres else 'SQLite file'}): {len(dump):,} bytes, "
            f"{len(re.findall(rb'gAAAAA', dump)):,} encrypted fields; key bytes found: "
            f"{found_db or 'none'}")
        say(f"   the backup archive: {archive.stat().st_size:,} bytes (age); key bytes "
            f"found: {found_archive or 'none'}")
        if found_disk or found_db or found_archive:
            fail("a key is on the seized disk, in the database or in the backup")
        environment = "\n".join(env.values()).encode()
        if search(environment, patterns):
            fail("a key is in the locked instance's environment")
        say("   the environment of the locked instance holds no key either")
        after = qorgau(env, "verify", check=False)
        if after.returncode == 0 or "Traceback" in after.stderr:
            fail(f"verify without the keys:\n{after.stdout}{after.stderr}")
        say("   without the trustees, verify reads no case: " + after.stderr.strip())

        say("5. A new server: empty data folder and database, the off-site wrapped_keys.json")
        new_server = Server(root, "new-server", postgres)
        shutil.copy(off_site_copy, new_server.data / "wrapped_keys.json")
        env2 = new_server.env(base, QORGAU_KEY_CUSTODY="trustees")
        # Migrations write encrypted defaults, so they too run with the keys open.
        qorgau(env2, "unlock", "migrate", "--no-input", stdin=f"{shares[2]}\n{shares[0]}\n")
        restored = qorgau(env2, "unlock", "restore", str(archive), "--identity",
                          str(identity_file), stdin=f"{shares[2]}\n{shares[0]}\n")
        say("   migrated and restored with trustees 3 and 1: "
            + restored.stdout.strip().splitlines()[-1])
        verified = qorgau(env2, "unlock", "verify", "--evidence",
                          stdin=f"{shares[1]}\n{shares[2]}\n", check=False)
        last = verified.stdout.strip().splitlines()[-1] if verified.stdout.strip() else ""
        if verified.returncode != 0:
            fail(f"verify on the new server:\n{verified.stdout}{verified.stderr}")
        say(f"   verify --evidence with trustees 2 and 3: {last}")
        say(f"OK: raid drill passed in {time.monotonic() - STARTED:.0f} s")
    finally:
        office.drop()
        if new_server is not None:
            new_server.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite even if PostgreSQL answers")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away folders")
    parser.add_argument("--small", action="store_true",
                        help="two demo cases instead of twenty-one (the test's drill)")
    args = parser.parse_args()
    postgres = not args.sqlite and postgres_answers()
    root = Path(tempfile.mkdtemp(prefix="qorgau-raid-drill-"))
    try:
        drill(root, postgres, small=args.small)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
