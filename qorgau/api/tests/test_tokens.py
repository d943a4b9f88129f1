"""The token pages: created from a full, recent login, shown once, stored hashed,
revocable; every creation, revocation and use on the owner's trail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from qorgau.api import tokens
from qorgau.api.models import ApiAuditEntry, ApiToken
from qorgau.api.tests.contract import ApiClient
from qorgau.conftest import log_in_with_code, totp_code

URL = "/settings/api-tokens/"


def test_create_shows_the_token_once_and_stores_only_its_hash(client, alice, case):
    log_in_with_code(client, alice)
    response = client.post(URL, {"name": "court script", "scopes": ["read", "write"],
                                 "days": "7"})
    assert response.status_code == 201
    secret = response.context["issued"].secret
    assert secret.startswith("qg_") and secret in response.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.scopes == ["read", "write"] and token.digest == hashlib.sha256(
        secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert 6 <= (token.expires_at - timezone.now()).days <= 7
    # Listed afterwards without the secret.
    listing = client.get(URL).content.decode()
    assert "court script" in listing and secret not in listing
    assert ApiClient(secret).get(f"cases/{case.reference}").status_code == 200


def test_creating_a_token_asks_for_a_recent_login(client, alice):
    log_in_with_code(client, alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.get(URL)  # still logged in, listing needs nothing more
        response = client.post(URL, {"name": "x", "scopes": ["read"], "days": "1"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not ApiToken.objects.exists()
        client.post(reverse("mfa_reauthenticate") + "?next=" + URL,
                    {"code": totp_code(timezone.now().timestamp())})
        assert client.post(URL, {"name": "x", "scopes": ["read"],
                                 "days": "1"}).status_code == 201


def test_a_login_without_the_second_factor_cannot_create_tokens(client, alice):
    client.post(reverse("account_login"), {"login": alice.email,
                                           "password": "correct horse battery staple"})
    response = client.post(URL, {"name": "x", "scopes": ["read"], "days": "1"})
    assert response.status_code == 302 and not ApiToken.objects.exists()


def test_bad_input_creates_nothing(client, alice):
    log_in_with_code(client, alice)
    response = client.post(URL, {"name": " ", "scopes": ["root"], "days": "9999"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "scopes", "days"}
    assert not ApiToken.objects.exists()


def test_revoke_own_token_only(client, alice, dave):
    issued = tokens.create_token(alice, "mine", ["read"], 30)
    log_in_with_code(client, dave)
    assert client.post(reverse("tokens:revoke", args=[issued.token.pk])).status_code == 404
    client.logout()
    log_in_with_code(client, alice)
    response = client.post(reverse("tokens:revoke", args=[issued.token.pk]))
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert ApiClient(issued.secret).get("cases").status_code == 401
    actions = list(ApiAuditEntry.objects.filter(user=alice).values_list("action", flat=True))
    assert sorted(actions) == ["token.create", "token.revoke"]


def test_the_page_speaks_russian_and_kazakh(client, alice):
    log_in_with_code(client, alice)
    for language, words in (("ru", "API-токены"), ("kk", "API токендері")):
        with override(language):
            client.cookies["django_language"] = language
            page = client.get(URL, headers={"Accept-Language": language}).content.decode()
            assert words in page, language
