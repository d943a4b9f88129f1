"""Headers, deployment checks, quick exit, discreet mode, login limits, session expiry."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qorgau.conftest import PASSWORD, database_url, log_in_with_code

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path: Path) -> dict[str, str]:
    import pyrage
    from cryptography.fernet import Fernet

    from qorgau.keys import _ed25519_pem

    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, "QORGAU_ENV": "production", "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "qorgau.example.org",
            "QORGAU_DATA_KEYS": Fernet.generate_key().decode(),
            "QORGAU_EVIDENCE_KEYS": str(pyrage.x25519.Identity.generate()),
            "QORGAU_SIGNING_KEY": _ed25519_pem(),
            "QORGAU_BACKUP_RECIPIENTS": str(pyrage.x25519.Identity.generate().to_public()),
            "QORGAU_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}"}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _manage(_production_env(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_hashes_passwords_with_argon2(tmp_path):
    result = _manage(_production_env(tmp_path), "shell", "-c",
                     "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])")
    assert result.stdout.strip().endswith("Argon2PasswordHasher"), result.stderr


def test_production_without_a_key_refuses_to_start(tmp_path):
    env = _production_env(tmp_path)
    del env["QORGAU_EVIDENCE_KEYS"]
    result = _manage(env, "check")
    assert result.returncode != 0 and "QORGAU_EVIDENCE_KEYS is not set" in result.stderr


def test_strict_content_security_policy(client, alice, case):
    client.force_login(alice)
    response = client.get(reverse("cases:detail", args=[case.reference]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_quick_exit_ends_the_session_and_leaves(client, alice, case, settings):
    client.force_login(alice)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert 'id="quick-exit"' in page and settings.QORGAU_QUICK_EXIT_URL in page
    response = client.post(reverse("quick_exit"))
    assert response.status_code == 302
    assert response["Location"] == settings.QORGAU_QUICK_EXIT_URL
    assert "cookies" in response["Clear-Site-Data"]
    back = client.get(reverse("cases:detail", args=[case.reference]))
    assert back.status_code == 302 and reverse("account_login") in back["Location"]
    assert client.get(reverse("quick_exit")).status_code == 405


def test_discreet_mode_names_nothing(client, alice, org):
    client.force_login(alice)
    assert "Qorgau" in client.get(reverse("cases:list")).content.decode()
    org.discreet = True
    org.save(update_fields=["discreet"])
    html = client.get(reverse("cases:list")).content.decode()
    assert "<title>Notes</title>" in html and "Qorgau" not in html
    assert "img/notes.svg" in html


def test_failed_logins_are_limited(client, alice):
    cache.clear()
    url = reverse("account_login")
    for _ in range(5):
        response = client.post(url, {"login": alice.email, "password": "wrong password"})
        assert response.status_code == 200
    blocked = client.post(url, {"login": alice.email, "password": PASSWORD})
    assert blocked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session  # even the right password waits
    cache.clear()
    assert client.post(url, {"login": alice.email, "password": PASSWORD}).status_code == 302


def test_session_expires_after_inactivity(client, alice, case, settings):
    log_in_with_code(client, alice)
    url = reverse("cases:detail", args=[case.reference])
    assert client.get(url).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=29)):
        assert client.get(url).status_code == 200  # activity keeps it alive
    with time_machine.travel(timezone.now() + timedelta(minutes=29 + 31)):
        response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_session_is_written_at_most_once_a_minute(client, alice, case):
    """Requests within a minute leave the stored session alone; the next one after a minute
    moves its expiry on by SESSION_COOKIE_AGE, as every request used to."""
    log_in_with_code(client, alice)
    url = reverse("cases:detail", args=[case.reference])
    assert client.get(url).status_code == 200
    key = client.session.session_key

    def expiry():
        return Session.objects.get(pk=key).expire_date

    def session_writes():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")
                and "django_session" in q["sql"]]

    written = expiry()
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert session_writes() == [] and expiry() == written
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert len(session_writes()) == 1
        assert expiry() == timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with time_machine.travel(start + timedelta(seconds=100), tick=False):
        assert session_writes() == []


@pytest.mark.parametrize("name", ["js/qorgau.js", "img/notes.svg", "img/qorgau.svg"])
def test_static_files_exist(name):
    assert (ROOT / "static" / name).is_file()


def test_failed_login_limit_is_shared_between_processes(committed_db, alice):
    """Another process (another server worker) makes the failures; this one refuses."""
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
        "for _ in range(5):\n"
        "    r = client.post('/accounts/login/', {'login': 'alice@tcc.test', 'password': 'x'})\n"
        "    assert r.status_code == 200, r.status_code\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "qorgau.settings",
           "DATABASE_URL": database_url()}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    client = Client(HTTP_HOST="localhost")  # allauth counts per site and address
    response = client.post(reverse("account_login"),
                           {"login": alice.email, "password": PASSWORD})
    assert response.status_code in (200, 429)  # not sent on to the second step
    assert "_auth_user_id" not in client.session
    cache.clear()  # the control: with the counters gone, the same request goes through
    response = client.post(reverse("account_login"),
                           {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")


def test_production_trusts_the_proxy_it_is_told_of(tmp_path):
    env = _production_env(tmp_path)
    show = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    assert _manage(env, "shell", "-c", show).stdout.split()[-1] == "1"
    env["QORGAU_TRUSTED_PROXIES"] = "0"  # no proxy in front: the connection's address
    assert _manage(env, "shell", "-c", show).stdout.split()[-1] == "0"


@pytest.mark.parametrize("proxies", [1, 0])
def test_login_limits_count_each_client_behind_the_proxy(db, settings, proxies):
    """Behind the TLS proxy every request comes from its address; the limit on failed
    logins (10 a minute an address) must count the client the proxy names, or one
    person's mistakes refuse the whole organisation (proxies=0 shows that). A forged
    address in front of the proxy's is not believed."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    cache.clear()

    def attempt(n: int, forwarded: str) -> str:
        """'wrong' (the password was checked and refused) or 'limited' (not checked)."""
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR="127.0.0.1",
                        HTTP_X_FORWARDED_FOR=forwarded)
        response = client.post(reverse("account_login"),
                               {"login": f"nobody{n}@tcc.test", "password": "wrong"})
        if response.status_code == 429:
            return "limited"
        codes = [e.code for errors in response.context["form"].errors.as_data().values()
                 for e in errors]
        return "limited" if "too_many_login_attempts" in codes else "wrong"

    assert [attempt(n, "10.0.0.1") for n in range(10)] == ["wrong"] * 10
    assert attempt(10, "10.0.0.1") == "limited"
    assert attempt(11, "6.6.6.6, 10.0.0.1") == "limited"  # the client wrote the first one
    assert attempt(12, "10.0.0.2") == ("wrong" if proxies else "limited")
    cache.clear()
