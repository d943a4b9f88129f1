"""Duress code (issue 29): set on its page; at login it locks the instance and answers
exactly as a wrong code does; the person's real code still logs in; nothing locks for a
wrong code that is not the duress code."""

from __future__ import annotations

import re

from django.contrib.sessions.models import Session
from django.urls import reverse

from qorgau.accounts.models import OrganisationEntry, User
from qorgau.api import tokens as api_tokens
from qorgau.api.models import ApiToken
from qorgau.conftest import PASSWORD, log_in_with_code, totp_code
from qorgau.operations import custody, duress

DURESS = "20260427"


def wrong_code() -> str:
    return "123456" if totp_code() != "123456" else "654321"


def same_page(response) -> str:
    text = re.sub(r'value="[^"]*"', 'value=""', response.content.decode())
    return re.sub(r'"X-CSRFToken": "[^"]*"', '"X-CSRFToken": ""', text)


def second_factor(client, user, code):
    response = client.post(reverse("account_login"), {"login": user.email,
                                                      "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    return client.post(reverse("mfa_authenticate"), {"code": code})


def test_the_page_sets_and_removes_the_code(client, alice):
    log_in_with_code(client, alice)
    page = client.get(reverse("duress_code"))
    assert page.status_code == 200 and "You have no duress code." in page.content.decode()
    refused = client.post(reverse("duress_code"), {"code": "1234", "confirm": "1234"})
    assert "exactly 8 digits" in refused.content.decode()
    differ = client.post(reverse("duress_code"), {"code": DURESS, "confirm": "20260428"})
    assert "The two codes differ" in differ.content.decode()
    assert client.post(reverse("duress_code"), {"code": DURESS, "confirm": DURESS}
                       ).status_code == 302
    alice.refresh_from_db()
    assert alice.duress_digest and DURESS not in alice.duress_digest
    assert duress.matches(alice, DURESS) and not duress.matches(alice, "20260428")
    notes = OrganisationEntry.objects.filter(action=duress.NOTE)
    assert notes.exists() and all(DURESS not in str(n.detail) for n in notes)
    client.post(reverse("duress_code"), {"remove": "1"})
    alice.refresh_from_db()
    assert alice.duress_digest == "" and not duress.matches(alice, DURESS)


def test_the_duress_code_locks_and_answers_as_a_wrong_code(client, alice, bob, settings,
                                                           tmp_path):
    settings.DATA_DIR = tmp_path  # the lock generation file
    duress.set_code(alice, DURESS)
    other = client.__class__()
    log_in_with_code(other, bob)  # a colleague's open session
    token = api_tokens.create_token(bob, "script", ["read"], 30)
    before = OrganisationEntry.objects.filter(action=custody.LOCKED_NOTE).count()

    wrong = second_factor(client.__class__(), alice, wrong_code())
    assert custody.generation() <= 0, "a wrong code locks nothing"
    forced = second_factor(client, alice, DURESS)
    assert forced.status_code == wrong.status_code == 200
    # the same page, word for word, but for the form's token and the code typed
    assert same_page(forced) == same_page(wrong) and "incorrect" in same_page(wrong).lower()

    assert custody.generation() >= 1
    assert not Session.objects.exists()
    assert not ApiToken.objects.filter(pk=token.token.pk, revoked_at__isnull=True).exists()
    assert OrganisationEntry.objects.filter(action=custody.LOCKED_NOTE).count() > before
    detail = reverse("duties:needs_action")
    assert other.get(detail).status_code == 302  # the colleague's session is gone


def test_her_real_code_still_logs_in_with_a_duress_code_set(client, alice, settings,
                                                            tmp_path):
    settings.DATA_DIR = tmp_path
    duress.set_code(alice, DURESS)
    assert second_factor(client, alice, totp_code()).status_code == 302
    assert custody.generation() <= 0
    assert User.objects.get(pk=alice.pk).duress_digest


def test_the_duress_code_asked_again_locks_and_answers_as_a_wrong_code(client, alice, bob,
                                                                      settings, tmp_path):
    """When a sensitive step asks for a code again (allauth's re-authentication), the
    duress code locks as at login, and the page answers as for a wrong code."""
    settings.DATA_DIR = tmp_path
    duress.set_code(alice, DURESS)
    other = client.__class__()
    log_in_with_code(other, bob)
    log_in_with_code(client, alice)
    page = reverse("mfa_reauthenticate")
    assert client.get(page).status_code == 200
    wrong = client.post(page, {"code": wrong_code()})
    assert custody.generation() <= 0, "a wrong code locks nothing"
    forced = client.post(page, {"code": DURESS})
    assert forced.status_code == wrong.status_code == 200
    assert same_page(forced) == same_page(wrong) and "incorrect" in same_page(wrong).lower()
    assert custody.generation() >= 1
    assert not Session.objects.exists()
    notes = OrganisationEntry.objects.filter(action=custody.LOCKED_NOTE)
    assert {n.detail["how"] for n in notes} == {"duress code entered at re-authentication"}
    assert other.get(reverse("duties:needs_action")).status_code == 302
