"""Keys held by a hardware security module through PKCS#11 (issue 29), against a real
SoftHSM2 token made for this run: the key-encryption key sealed by a non-extractable AES
key in the token, the instance opening by itself at start, a panic lock that only a person
entering the PIN lifts, and no key on disk, in the database or in the environment."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from qorgau import trustees
from qorgau.cases.models import Party
from qorgau.keys import WRAPPED_KEYS_FILE, ConfigurationError, load_key_custody
from qorgau.operations import custody, hsm

MODULE = next((p for p in ("/usr/lib/softhsm/libsofthsm2.so",
                           "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                           "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so")
               if Path(p).exists()), "")
pytestmark = pytest.mark.skipif(
    not MODULE, reason="SoftHSM2 is not installed (Debian: apt-get install softhsm2; "
                           ".ci/run installs it, so CI runs these tests)")
TOKEN = "qorgau-test"
PIN = "271828"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A throw-away SoftHSM2 token in its own folder, for the whole run (a process loads a
    PKCS#11 library once, with the configuration it finds then)."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN,
                    "--pin", PIN, "--so-pin", "31415926"], check=True, capture_output=True)
    yield {"SOFTHSM2_CONF": str(conf), "tokens": str(folder / "tokens")}
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


@pytest.fixture
def in_hsm(softhsm, settings, tmp_path: Path, db, monkeypatch):
    """This test instance wrapped with `wrap-keys --hsm` (a new key label in the token each
    test), then in PKCS#11 custody with a PIN file."""
    monkeypatch.setattr(hsm, "_failed_at", None)
    original = trustees.InstanceKeys(list(settings.QORGAU_DATA_KEYS),
                                     list(settings.QORGAU_EVIDENCE_KEYS),
                                     settings.QORGAU_SIGNING_KEY)
    settings.DATA_DIR = tmp_path / "data"
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    label = f"qorgau-kek-{uuid.uuid4().hex[:8]}"
    settings.QORGAU_PKCS11 = {"module": MODULE, "token": TOKEN, "key": label,
                              "pin_file": str(pin_file)}
    out = io.StringIO()
    call_command("wrap-keys", "--hsm", stdout=out)
    assert "also sealed by the hardware security module" in out.getvalue()
    settings.QORGAU_KEY_CUSTODY = "pkcs11"
    custody.drop_keys()
    yield original, re.findall(r"share \d+:\n(.+)", out.getvalue()), label
    custody.drop_keys()


def _every_value_in_the_database() -> str:
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows += [str(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_a_start_opens_the_keys_through_the_hsm_and_nothing_at_rest_holds_them(
        survivor, in_hsm, softhsm, client):
    original, shares, label = in_hsm
    document = (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text()
    assert hsm.sealed(document)
    kek = trustees.combine(shares[:2])  # the recovery shares: same key-encryption key
    assert trustees.unwrap(document, kek) == original

    # A process started in PKCS#11 custody (the test settings, a PIN file) opens the keys
    # by itself: no trustee, no key in its environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QORGAU_", "DATABASE"))}
    env.update(QORGAU_ENV="test", QORGAU_KEY_CUSTODY="pkcs11",
               QORGAU_DATA_DIR=str(settings.DATA_DIR), QORGAU_PKCS11_MODULE=MODULE,
               QORGAU_PKCS11_TOKEN=TOKEN, QORGAU_PKCS11_KEY=label,
               QORGAU_PKCS11_PIN_FILE=settings.QORGAU_PKCS11["pin_file"],
               SOFTHSM2_CONF=softhsm["SOFTHSM2_CONF"], DJANGO_SETTINGS_MODULE="qorgau.settings")
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings as s; from qorgau.operations import custody; print(s.QORGAU_DATA_KEYS); "
         "print(custody.locked()); print(s.QORGAU_DATA_KEYS == " + repr(original.data_keys)
         + ")"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert started.stdout.split("\n")[:3] == ["[]", "False", "True"], started.stderr

    # In this process: the first request opens the keys through the token.
    assert not settings.QORGAU_DATA_KEYS
    assert client.get("/cases/").status_code == 302  # to the login page, not locked
    assert original.data_keys == settings.QORGAU_DATA_KEYS

    # At rest: the data folder, the database and the environment hold no key and no KEK.
    secrets = [*original.data_keys, *original.evidence_keys,
               *(base64.urlsafe_b64decode(k).hex() for k in original.data_keys),
               "".join(original.signing_key.splitlines()[1:-1]), kek.hex(),
               base64.b64encode(kek).decode()]
    at_rest = b"".join(p.read_bytes() for p in settings.DATA_DIR.rglob("*") if p.is_file())
    assert kek not in at_rest
    database = _every_value_in_the_database()
    environment = "\n".join([*os.environ.values(), *env.values()])
    for secret in secrets:
        assert secret.encode() not in at_rest
        assert secret not in database
        assert secret not in environment


def test_the_hsm_key_does_not_leave_the_token(in_hsm):
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
    from pkcs11 import exceptions as pk

    _original, _shares, label = in_hsm
    with hsm.session(PIN, rw=True) as s:
        key = s.get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=label)
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(pk.AttributeSensitive):
            key[Attribute.VALUE]  # noqa: B018 (reading it is the test)
        wrapper = s.generate_key(KeyType.AES, 256, label="wrapper", template={
            Attribute.WRAP: True, Attribute.TOKEN: False})
        with pytest.raises(pk.KeyUnextractable):
            wrapper.wrap_key(key, mechanism=Mechanism.AES_KEY_WRAP)


def test_a_wrong_pin_or_another_token_key_is_refused_in_plain_words(in_hsm, settings):
    with pytest.raises(hsm.HsmError, match="PIN of the hardware security module is wrong"):
        hsm.open_keys("000000")
    settings.QORGAU_PKCS11 = {**settings.QORGAU_PKCS11, "key": "no-such-key"}
    with pytest.raises(hsm.HsmError, match="no AES key labelled 'no-such-key'"):
        hsm.open_keys(PIN)
    settings.QORGAU_PKCS11 = {**settings.QORGAU_PKCS11, "token": "no-such-token"}
    with pytest.raises(hsm.HsmError, match="has no token 'no-such-token'"):
        hsm.open_keys(PIN)
    assert custody.locked()  # nothing opened, and a failure is not retried on every request


def test_after_a_panic_lock_only_a_person_entering_the_pin_reopens(in_hsm, client,
                                                                   monkeypatch):
    original, _shares, _label = in_hsm
    assert client.get("/cases/").status_code == 302  # opened with the PIN file
    call_command("lock", stdout=io.StringIO())
    assert custody.locked() and not settings.QORGAU_DATA_KEYS
    assert client.get("/cases/").status_code == 503  # the PIN file no longer opens it
    assert client.get("/cases/").status_code == 503

    monkeypatch.setattr("sys.stdin", io.StringIO("123456\n"))
    with pytest.raises(CommandError, match="PIN of the hardware security module is wrong"):
        call_command("unlock", "--hsm", stdout=io.StringIO())
    assert custody.locked()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PIN}\n"))
    out = io.StringIO()
    call_command("unlock", "--hsm", stdout=out)
    assert "The PIN opened the keys" in out.getvalue()
    assert hsm.person_opened_at() == custody.generation() == 1
    custody.drop_keys()  # another process: it opens again by itself, with the PIN file
    assert client.get("/cases/").status_code == 302
    assert original.data_keys == settings.QORGAU_DATA_KEYS


def test_resplit_keeps_the_hsm_seal(in_hsm, monkeypatch):
    original, shares, _label = in_hsm
    monkeypatch.setattr(custody, "exit_on_lock", False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    out = io.StringIO()
    call_command("unlock", "wrap-keys", "--resplit", stdout=out)  # opened by the PIN file
    custody.exit_on_lock = False
    assert "Opened through the hardware security module" in out.getvalue()
    new = re.findall(r"share \d+:\n(.+)", out.getvalue())
    document = (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text()
    assert hsm.sealed(document)
    assert hsm.open_keys(PIN) == trustees.unwrap(document, trustees.combine(new[1:])) == original
    with pytest.raises(trustees.ShareError):
        trustees.unwrap(document, trustees.combine(shares[:2]))


def test_configuration_of_pkcs11_custody(tmp_path: Path):
    (tmp_path / WRAPPED_KEYS_FILE).write_text("{}")
    with pytest.raises(ConfigurationError, match="QORGAU_PKCS11_MODULE and "
                                                 "QORGAU_PKCS11_TOKEN must be set"):
        load_key_custody({"QORGAU_KEY_CUSTODY": "pkcs11"}, tmp_path)
    assert load_key_custody({"QORGAU_KEY_CUSTODY": "pkcs11", "QORGAU_PKCS11_MODULE": "x.so",
                             "QORGAU_PKCS11_TOKEN": TOKEN}, tmp_path) == "pkcs11"


def test_rotation_under_a_new_kek_keeps_the_hsm_seal(survivor, in_hsm, monkeypatch):
    original, shares, _label = in_hsm
    monkeypatch.setattr(custody, "exit_on_lock", False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    out = io.StringIO()
    call_command("unlock", "rotate-keys", "--new-kek", stdout=out)  # the PIN file opens it
    custody.exit_on_lock = False
    assert "OK: only the new keys are kept" in out.getvalue()
    rotated = hsm.open_keys(PIN)  # the token opens the new keys, and only them
    assert len(rotated.data_keys) == 1 and rotated.data_keys[0] not in original.data_keys
    new = re.findall(r"share \d+:\n(.+)", out.getvalue())
    document = (settings.DATA_DIR / WRAPPED_KEYS_FILE).read_text()
    assert trustees.unwrap(document, trustees.combine(new[:2])) == rotated
    with pytest.raises(trustees.ShareError):
        trustees.unwrap(document, trustees.combine(shares[:2]))
    custody.drop_keys()
    custody.install(rotated)
    assert Party.objects.get(pk=survivor.pk).full_name == "Zhanar Testbayeva"
