"""Two factors for everyone, the admin behind the same login, and re-authentication before
exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.services import add_member, create_user
from qorgau.conftest import PASSWORD, TOTP_SECRET, log_in_with_code, make_event, totp_code
from qorgau.duties import services as duty_services


def _code(secret: str) -> str:
    return totp_code(timezone.now().timestamp(), secret)


@pytest.fixture
def newcomer(org):
    user = create_user("nadia@tcc.test", PASSWORD, display_name="Nadia")
    add_member(user, org, "caseworker")
    return user


def test_first_login_enrols_an_authenticator_before_anything_else(client, newcomer, case):
    response = client.post(reverse("account_login"),
                           {"login": newcomer.email, "password": PASSWORD})
    assert response.status_code == 302
    for name, args in (("cases:list", []), ("cases:detail", [case.reference]),
                       ("duties:needs_action", [])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("mfa_activate_totp")), name

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "data:image/svg+xml" in page.content.decode()  # the QR code, no external request
    secret = client.session["mfa.totp.secret"]
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=newcomer).exists()
    done = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=newcomer, type="totp").exists()
    codes = Authenticator.objects.get(user=newcomer, type="recovery_codes")
    assert len(codes.wrap().get_unused_codes()) == 10
    assert client.get(reverse("cases:list")).status_code == 200


def test_the_totp_secret_is_encrypted_at_rest(alice):
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s", [alice.pk])
        raw = " ".join(str(row[0]) for row in cursor.fetchall())
    assert TOTP_SECRET not in raw
    assert "gAAAAA" in raw  # Fernet tokens


def test_a_password_alone_does_not_log_in(client, alice, case):
    response = client.post(reverse("account_login"),
                           {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    detail = reverse("cases:detail", args=[case.reference])
    assert reverse("account_login") in client.get(detail)["Location"]
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"
                                                      if totp_code() != "123456" else "654321"})
    assert wrong.status_code == 200
    assert reverse("account_login") in client.get(detail)["Location"]
    assert client.post(reverse("mfa_authenticate"), {"code": totp_code()}).status_code == 302
    assert client.get(detail).status_code == 200


def test_a_code_cannot_be_replayed(alice, case):
    first, second = Client(), Client()
    for client in (first, second):
        client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    code = totp_code()  # one code, used twice within its 30 s (a slow machine cannot
    # make the second use a fresh code)
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    response = second.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200  # the same code, seen once already
    detail = reverse("cases:detail", args=[case.reference])
    assert first.get(detail).status_code == 200
    assert second.get(detail).status_code == 302


def test_a_recovery_code_works_once(alice, case):
    codes = Authenticator.objects.get(user=alice, type="recovery_codes").wrap()
    code = codes.get_unused_codes()[0]
    detail = reverse("cases:detail", args=[case.reference])
    for expected in (200, 302):
        client = Client()
        client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
        client.post(reverse("mfa_authenticate"), {"code": code})
        assert client.get(detail).status_code == expected


def test_the_authenticator_cannot_be_switched_off(client, alice):
    log_in_with_code(client, alice)
    client.post(reverse("mfa_deactivate_totp"), {"code": totp_code()})
    assert Authenticator.objects.filter(user=alice, type="totp").exists()


def test_the_admin_uses_the_same_login_and_second_factor(org):
    staff = create_user("root@tcc.test", PASSWORD)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    add_member(staff, org, "admin")
    client = Client()
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    # The admin's own login form is not a way around the second factor.
    response = client.get(reverse("admin:login"))
    assert reverse("account_login") in response["Location"]
    assert client.post(reverse("admin:login"), {"username": staff.email,
                                                "password": PASSWORD}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 302
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert client.get(reverse("admin:index")).status_code == 302  # enrol first
    secret = (client.get(reverse("mfa_activate_totp")), client.session["mfa.totp.secret"])[1]
    client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_member_without_staff_rights_is_refused_by_the_admin(client, alice):
    log_in_with_code(client, alice)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_exports_ask_again_after_five_minutes_then_resume(client, alice, carol, case,
                                                         consent_to):
    make_event(case, alice, kind="police_report", start="2024-01-05")
    letter = duty_services.draft_letter(case, alice, "police_inaction", "ru")
    duty_services.approve_letter(letter, carol)  # a supervisor approved it
    consent_to(case, alice, "complaint")  # and she agreed to the complaint
    url = reverse("duties:letter_download", args=[case.reference, letter.pk, "pdf"])
    log_in_with_code(client, alice)
    assert client.get(url).status_code == 200  # just logged in
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.get(reverse("cases:list"))  # still active, so still logged in
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        # Confirming with the authenticator sends her on to the download.
        confirm = client.post(reverse("mfa_reauthenticate") + "?next=" + url,
                              {"code": totp_code(timezone.now().timestamp())})
        assert confirm.status_code == 302 and confirm["Location"] == url
        assert client.get(url)["Content-Type"] == "application/pdf"


def test_reading_the_case_needs_no_reauthentication(client, alice, case):
    log_in_with_code(client, alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        client.get(reverse("cases:list"))
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
