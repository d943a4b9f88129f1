"""Key rotation and key configuration."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from qorgau.cases import services
from qorgau.cases.models import Case
from qorgau.cases.verification import verify_all
from qorgau.conftest import make_event
from qorgau.crypto import generate_key

ROOT = Path(__file__).resolve().parents[3]


def raw_tokens():
    with connection.cursor() as cur:
        cur.execute("SELECT full_name, salt FROM cases_party")
        party = [v for row in cur.fetchall() for v in row]
        cur.execute("SELECT narrative, place, salt FROM cases_event")
        event = [v for row in cur.fetchall() for v in row]
    return [t for t in party + event if t]


def test_rotate_keys_reencrypts_under_newest_key(org, alice, settings):
    old, new = generate_key(), generate_key()
    first = list(settings.QORGAU_DATA_KEYS)  # the personas' authenticators use it
    with override_settings(QORGAU_DATA_KEYS=[old, *first]):
        case = services.create_case(org, alice, region="kz-west")
        services.add_party(case, alice, role="survivor", full_name="Dana Rotated")
        make_event(case, alice, narrative="written under the old key")
    tokens = raw_tokens()
    assert tokens
    for token in tokens:
        Fernet(old).decrypt(token.encode())  # raises if not under the old key

    with override_settings(QORGAU_DATA_KEYS=[new, old, *first]):
        call_command("rotate-keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
    for token in raw_tokens():
        Fernet(new).decrypt(token.encode())
        try:
            Fernet(old).decrypt(token.encode())
        except InvalidToken:
            pass
        else:
            raise AssertionError("a value is still readable with the old key")

    with override_settings(QORGAU_DATA_KEYS=[new]):  # old key gone: all still readable
        assert all(r.problem is None for r in verify_all())
        found = services.search_cases_by_name(Case.objects.all(), "dana rotated")
        assert list(found) == [case]


def test_name_search_works_during_rotation(org, alice):
    old, new = generate_key(), generate_key()
    with override_settings(QORGAU_DATA_KEYS=[old]):
        case = services.create_case(org, alice, region="kz-west")
        services.add_party(case, alice, role="respondent", full_name="Bolat Midway")
    with override_settings(QORGAU_DATA_KEYS=[new, old]):
        assert list(services.search_cases_by_name(Case.objects.all(), "BOLAT  midway")) == [case]


def _run(env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("QORGAU_DATA_KEYS", "SECRET_KEY", "QORGAU_ENV", "DATABASE_URL")}
    env.update({"QORGAU_DATA_DIR": str(tmp_path), **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_without_keys_is_a_clear_error(tmp_path):
    result = _run({"SECRET_KEY": "x" * 50}, tmp_path)
    assert result.returncode != 0
    assert "QORGAU_DATA_KEYS is not set" in result.stderr
    assert not list(tmp_path.iterdir()), "production must not write generated keys"


def test_production_without_secret_key_is_a_clear_error(tmp_path):
    result = _run({"QORGAU_DATA_KEYS": generate_key()}, tmp_path)
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_production_with_bad_key_is_a_clear_error(tmp_path):
    result = _run({"SECRET_KEY": "x" * 50, "QORGAU_DATA_KEYS": "nonsense"}, tmp_path)
    assert result.returncode != 0 and "not a valid Fernet key" in result.stderr


def test_development_generates_private_keys_once(tmp_path):
    assert _run({"QORGAU_ENV": "development"}, tmp_path).returncode == 0
    keys = tmp_path / "data_keys"
    secret = tmp_path / "secret_key"
    assert keys.stat().st_mode & 0o777 == 0o600
    assert secret.stat().st_mode & 0o777 == 0o600
    first = keys.read_text()
    Fernet(first.strip())
    assert _run({"QORGAU_ENV": "development"}, tmp_path).returncode == 0
    assert keys.read_text() == first
