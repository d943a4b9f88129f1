"""Argon2 at the chosen parameters (issue 30): hashes stored with Django's defaults still
log in and are re-hashed with the chosen ones at that login. The tests otherwise hash with
MD5 (speed): here the production hashers are set."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import override_settings
from django.urls import reverse

from qorgau.accounts.hashers import Argon2PasswordHasher
from qorgau.conftest import PASSWORD, totp_code

PRODUCTION = ["qorgau.accounts.hashers.Argon2PasswordHasher",
              "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def _params(encoded: str) -> tuple[str, int, int, int]:
    import argon2

    found = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    return found.type.name, found.memory_cost, found.time_cost, found.parallelism


def test_the_parameters_are_owasps_argon2id_minimum():
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    assert encoded.startswith("argon2$argon2id$")
    assert _params(encoded) == ("ID", 19 * 1024, 2, 1)
    assert hasher.verify(PASSWORD, encoded) and not hasher.verify("wrong" + PASSWORD, encoded)


@override_settings(PASSWORD_HASHERS=PRODUCTION)
@pytest.mark.django_db
def test_a_hash_with_djangos_defaults_logs_in_and_is_rehashed(client, alice, case):
    old = DjangoArgon2()
    alice.password = old.encode(PASSWORD, old.salt())
    alice.save(update_fields=["password"])
    before = alice.password
    assert _params(before)[1:] == (102400, 2, 8)
    assert identify_hasher(before).must_update(before)

    wrong = client.post(reverse("account_login"), {"login": alice.email,
                                                   "password": "not " + PASSWORD})
    assert wrong.status_code == 200
    alice.refresh_from_db()
    assert alice.password == before  # a failed login changes nothing

    response = client.post(reverse("account_login"), {"login": alice.email,
                                                      "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    alice.refresh_from_db()
    assert alice.password != before
    assert _params(alice.password) == ("ID", 19 * 1024, 2, 1)
    assert check_password(PASSWORD, alice.password)
    assert not identify_hasher(alice.password).must_update(alice.password)
    assert client.post(reverse("mfa_authenticate"), {"code": totp_code()}).status_code == 302
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
