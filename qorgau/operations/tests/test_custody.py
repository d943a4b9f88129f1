"""Keys held by trustees (issue 29): wrapped keys only at rest, the instance locked until
2 of 3 shares are in, and the panic lock through each route."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import re
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from qorgau import trustees
from qorgau.accounts import orgledger
from qorgau.accounts.models import Organisation, OrganisationEntry
from qorgau.api import tokens as api_tokens
from qorgau.bundles import signing
from qorgau.cases import checkpoints
from qorgau.conftest import _person
from qorgau.evidence import services as evidence_services
from qorgau.fields import KeysLocked, keyring
from qorgau.keys import ConfigurationError, load_key_custody
from qorgau.operations import custody

LOCK_TOKEN = "director-abroad-0123456789abcdef"


@pytest.fixture
def trustee(settings, tmp_path, db):
    """This test instance wrapped by `wrap-keys`, then restarted in trustee custody."""
    original = trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                     list(settings.QORGAU_EVIDENCE_KEYS),
                                     settings.QORGAU_SIGNING_KEY)
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("wrap-keys", "--threshold", "2", "--shares", "3", stdout=out)
    shares = re.findall(r"share \d:\n(.+)", out.getvalue())
    assert len(shares) == 3
    settings.QORGAU_KEY_CUSTODY = "trustees"
    settings.QORGAU_DATA_KEYS = []
    settings.QORGAU_EVIDENCE_KEYS = []
    settings.QORGAU_SIGNING_KEY = ""
    settings.QORGAU_LOCK_TOKEN_SHA256 = hashlib.sha256(LOCK_TOKEN.encode()).hexdigest()
    custody.drop_keys()
    yield original, shares
    custody.drop_keys()


def _unlock(client, shares):
    for share in shares:
        client.post("/unlock/", {"share": share})
    assert not custody.locked()


def _every_value_in_the_database() -> str:
    """Every row of every table as stored (raw SQL: no field is decrypted on the way)."""
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows += [str(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_at_rest_the_database_data_folder_and_environment_hold_no_usable_key(
        alice, survivor, trustee):
    original, _shares = trustee
    secrets = [*original.data_keys, *original.evidence_keys,
               *(base64.urlsafe_b64decode(k).hex() for k in original.data_keys),
               "".join(original.signing_key.splitlines()[1:-1])]
    at_rest = b"".join(p.read_bytes() for p in settings.DATA_DIR.rglob("*") if p.is_file())
    environment = "\n".join(os.environ.values())
    database = _every_value_in_the_database()
    assert "gAAAAA" in database  # the survivor's encrypted fields are there, as tokens
    for secret in secrets:
        assert secret.encode() not in at_rest
        assert secret not in environment
        assert secret not in database
    assert load_key_custody({"QORGAU_KEY_CUSTODY": "trustees"}, settings.DATA_DIR) == "trustees"
    with pytest.raises(ConfigurationError, match="must not be set"):
        load_key_custody({"QORGAU_KEY_CUSTODY": "trustees",
                          "QORGAU_DATA_KEYS": original.data_keys[0]}, settings.DATA_DIR)
    with pytest.raises(ConfigurationError, match="wrapped for trustees"):
        load_key_custody({}, settings.DATA_DIR)  # no silent fall back to fresh keys
    # A process started in trustee custody holds no key until the trustees come.
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env.update(QORGAU_ENV="test", QORGAU_KEY_CUSTODY="trustees",
               QORGAU_DATA_DIR=str(settings.DATA_DIR))
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings as s; print(s.QORGAU_DATA_KEYS, s.QORGAU_EVIDENCE_KEYS, "
         "repr(s.QORGAU_SIGNING_KEY))"],
        env={**env, "DJANGO_SETTINGS_MODULE": "qorgau.settings"},
        capture_output=True, text=True, check=True)
    assert started.stdout.split() == ["[]", "[]", "''"]


def test_locked_instance_answers_only_the_locked_page(trustee, client):
    page = client.get("/cases/")
    assert page.status_code == 503 and b"locked" in page.content
    api = client.get("/api/v1/cases/")
    assert api.status_code == 503 and api.json()["error"] == "locked"
    for decrypting in (keyring, evidence_services.identities, evidence_services.recipients,
                       signing.private_key, checkpoints._signing_key):
        with pytest.raises(KeysLocked, match="locked"):
            decrypting()
    assert client.get("/unlock/").status_code == 200


def test_two_of_three_shares_unlock_one_does_not(trustee, client):
    original, shares = trustee
    first = client.post("/unlock/", {"share": shares[0]})
    assert b"1 more needed" in first.content
    assert custody.locked() and client.get("/cases/").status_code == 503
    done = client.post("/unlock/", {"share": shares[2]})
    assert b"The instance is open" in done.content
    assert client.get("/cases/").status_code == 302  # to the login page, not locked
    assert original.data_keys == settings.QORGAU_DATA_KEYS
    assert original.signing_key == settings.QORGAU_SIGNING_KEY
    assert keyring().decrypt(keyring().encrypt("x")) == "x"


def test_a_wrong_share_is_refused_in_plain_words(trustee, client):
    _original, shares = trustee
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    typo = client.post("/unlock/", {"share": " ".join(words)})
    assert typo.status_code == 400 and b"a word is mistyped or missing" in typo.content
    client.post("/unlock/", {"share": shares[0]})
    stranger = trustees.split(trustees.new_kek(), 2, 3)[1]
    other = client.post("/unlock/", {"share": stranger})
    assert other.status_code == 400 and b"another set of shares" in other.content
    assert custody.locked()


def test_shares_of_another_wrapping_do_not_open_these_keys(trustee, client):
    kek = trustees.new_kek()
    foreign = trustees.split(kek, 2, 3)
    client.post("/unlock/", {"share": foreign[0]})
    answer = client.post("/unlock/", {"share": foreign[1]})
    assert answer.status_code == 400 and b"do not open this instance" in answer.content
    assert custody.locked()


def test_unlock_is_rate_limited(trustee, client):
    for _ in range(10):
        client.post("/unlock/", {"share": "not a share"})
    assert client.post("/unlock/", {"share": "not a share"}).status_code == 429


def test_unlock_page_checks_csrf(trustee):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/unlock/", {"share": "x"}).status_code == 403


def test_unlock_command_opens_keys_in_its_own_process(trustee, monkeypatch):
    _original, shares = trustee
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{shares[1]}\n{shares[0]}\n"))
    out = io.StringIO()
    call_command("unlock", stdout=out)
    assert "The keys are open" in out.getvalue() and not custody.locked()
    custody.drop_keys()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{shares[1]}\n"))
    with pytest.raises(CommandError, match="Not enough shares"):
        call_command("unlock", stdout=io.StringIO())


def _assert_locked_everywhere(client, how):
    assert custody.locked() and not settings.QORGAU_DATA_KEYS
    assert not Session.objects.exists()
    assert client.get("/cases/").status_code == 503
    notes = OrganisationEntry.objects.filter(action=custody.LOCKED_NOTE)
    assert [n.detail["how"] for n in notes] == [how] * Organisation.objects.count()
    assert all(report.problem is None for report in orgledger.verify_all())


def test_panic_lock_by_command(alice, trustee, client):
    _unlock(client, trustee[1][:2])
    client.force_login(alice)
    issued = api_tokens.create_token(alice, "phone", ["read"], 30)
    call_command("lock", stdout=io.StringIO())
    _assert_locked_everywhere(client, "command")
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_panic_lock_by_an_administrator_confirmed(alice, trustee, client, org):
    _unlock(client, trustee[1][:2])
    client.force_login(alice)
    assert client.get("/lock/").status_code == 404  # a caseworker: no such page
    admin = _person("admin@tcc.test", org, "admin")
    client.force_login(admin)
    confirm = client.get("/lock/")
    assert confirm.status_code == 200 and not custody.locked()
    assert client.post("/lock/").status_code == 200
    _assert_locked_everywhere(client, "administrator")
    assert OrganisationEntry.objects.get(action=custody.LOCKED_NOTE).actor == admin


def test_panic_lock_by_the_pre_shared_token(trustee, client):
    _unlock(client, trustee[1][1:])
    assert client.post("/lock/wrong-token/").status_code == 404
    assert not custody.locked()
    assert client.get(f"/lock/{LOCK_TOKEN}/").status_code == 200  # asks to confirm
    assert not custody.locked()
    assert client.post(f"/lock/{LOCK_TOKEN}/").status_code == 200
    _assert_locked_everywhere(client, "lock token")


def test_a_lock_by_another_process_drops_the_keys_here(trustee, client):
    _unlock(client, trustee[1][:2])
    (settings.DATA_DIR / custody.GENERATION_FILE).write_text("7\n")  # another worker locked
    assert client.get("/cases/").status_code == 503
    assert not settings.QORGAU_DATA_KEYS
    _unlock(client, trustee[1][:2])  # the trustees open it again under the new lock
    assert client.get("/cases/").status_code == 302


def test_an_idle_process_drops_its_keys_within_seconds(trustee, client):
    _unlock(client, trustee[1][:2])
    (settings.DATA_DIR / custody.GENERATION_FILE).write_text("9\n")  # locked elsewhere
    deadline = time.monotonic() + 5
    while settings.QORGAU_DATA_KEYS and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not settings.QORGAU_DATA_KEYS  # the watcher dropped them, no request needed


def test_off_by_default(client, db, admin_user):
    assert not custody.locked()
    for url in ("/unlock/", "/lock/", f"/lock/{LOCK_TOKEN}/"):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    with pytest.raises(CommandError, match="QORGAU_KEY_CUSTODY=trustees"):
        call_command("lock")


def test_panic_lock_through_the_api(alice, trustee, client, org):
    from qorgau.api.tests.contract import ApiClient

    _unlock(client, trustee[1][:2])
    admin = _person("admin@tcc.test", org, "admin")
    no_scope = ApiClient(api_tokens.create_token(admin, "read", ["read"], 1).secret)
    assert no_scope.post("lock").json()["code"] == "scope_missing"
    caseworker = ApiClient(api_tokens.create_token(alice, "lock", ["lock"], 1).secret)
    refused = caseworker.post("lock")
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"
    assert not custody.locked()
    issued = api_tokens.create_token(admin, "panic", ["lock"], 1)
    # An Idempotency-Key changes nothing: the lock is not kept for replay (it would need
    # the keys it has just dropped), and is whole.
    answer = ApiClient(issued.secret).post("lock", headers={"Idempotency-Key": "panic-1"})
    assert answer.status_code == 200 and answer.json()["locked"] is True
    _assert_locked_everywhere(client, "administrator (API)")
    again = ApiClient(issued.secret).post("lock", headers={"Idempotency-Key": "panic-1"})
    assert again.status_code == 503  # locked: the API answers nothing else


def test_any_two_of_the_lock_group_lock(alice, bob, trustee, client, org, settings):
    from datetime import timedelta

    from qorgau.api.tests.contract import ApiClient

    settings.QORGAU_LOCK_GROUP = ["alice@tcc.test", "bob@tcc.test", "carol@tcc.test"]
    _unlock(client, trustee[1][:2])
    outsider = _person("dana@tcc.test", org, "caseworker")
    client.force_login(outsider)
    assert client.get("/lock/").status_code == 404  # neither administrator nor in the group
    client.force_login(alice)
    assert "two of its members" in client.get("/lock/").content.decode()
    first = client.post("/lock/")
    assert "Your request to lock is recorded" in first.content.decode()
    assert client.post("/lock/").status_code == 200  # the same person twice: still open
    assert not custody.locked()
    requests = OrganisationEntry.objects.filter(action=custody.LOCK_REQUESTED)
    assert requests.count() == 2 * Organisation.objects.count()
    assert all(r.actor == alice for r in requests)

    # Out of the window, the first request no longer counts.
    monkeypatched = custody.GROUP_WINDOW
    custody.GROUP_WINDOW = timedelta(0)
    try:
        waiting = ApiClient(api_tokens.create_token(bob, "lock", ["lock"], 1).secret)
        assert waiting.post("lock").status_code == 202 and not custody.locked()
    finally:
        custody.GROUP_WINDOW = monkeypatched
    client.force_login(bob)
    confirm = client.get("/lock/").content.decode()
    assert "asked to lock the instance at" in confirm and "Alice" in confirm
    assert "The instance is locked" in client.post("/lock/").content.decode()
    _assert_locked_everywhere(client, "lock group")
    assert OrganisationEntry.objects.get(action=custody.LOCKED_NOTE).actor == bob

    # After the lock, an older request does not count towards the next one.
    _unlock(client, trustee[1][1:])
    assert custody.pending_requests() == []


def test_a_socket_of_another_user_gets_no_share_and_gives_no_key(trustee, tmp_path):
    """The key agent's abstract address can be taken by any local user: a process checks
    who listens (SO_PEERCRED) before it sends a share or takes keys."""
    import json
    import socket

    from qorgau.operations import keyagent

    if os.geteuid() != 0:
        pytest.skip("needs root, to listen as another user")
    ready_r, ready_w = os.pipe()
    got_r, got_w = os.pipe()
    child = os.fork()
    if child == 0:  # a squatter, as user nobody, offering forged keys
        try:
            os.close(ready_r)
            os.close(got_r)
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.bind(keyagent.address(settings.DATA_DIR))
                sock.listen()
                os.write(ready_w, b"1")
                sock.settimeout(30)
                while True:
                    conn, _ = sock.accept()
                    conn.settimeout(5)
                    try:
                        os.write(got_w, conn.recv(65536) or b".")  # what it was sent
                        conn.sendall(json.dumps({"open": True, "generation": 0,
                                                 "data_keys": ["x"], "evidence_keys": [],
                                                 "signing_key": ""}).encode() + b"\n")
                    except OSError:
                        pass
                    conn.close()
        finally:
            os._exit(0)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"1"
        with pytest.raises(keyagent.NotOurs):
            keyagent.request(settings.DATA_DIR, {"op": "keys"})
        assert custody.locked() and not settings.QORGAU_DATA_KEYS  # nothing taken from it
        with pytest.raises(custody.ShareError):  # refused here, never sent there
            custody.add_share(trustee[1][0][:-1])
        os.close(got_w)
        os.set_blocking(got_r, False)
        received = b""
        deadline = time.monotonic() + 5
        while received.count(b".") < 3 and time.monotonic() < deadline:
            with contextlib.suppress(BlockingIOError):
                received += os.read(got_r, 65536)
            time.sleep(0.05)
        assert received == b"...", received  # three connections, not a byte sent to it
    finally:
        os.close(ready_r)
        os.close(got_r)
        os.kill(child, 9)
        os.waitpid(child, 0)
