"""The organisation's people (issue 27): an administrator invites, changes roles and switches
people off — recorded; a switched-off person's sessions and API tokens stop at once."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from qorgau.accounts.models import Membership, OrganisationEntry, User
from qorgau.api import tokens
from qorgau.api.tests.contract import ApiClient
from qorgau.tests.test_mfa import log_in_with_code


def test_an_administrator_invites_changes_a_role_and_switches_someone_off(client, org, alice,
                                                                          personas):
    admin = personas["admin"]
    issued = tokens.create_token(alice, "phone", ["read"], 30)
    assert ApiClient(issued.secret).get("cases").status_code == 200
    log_in_with_code(client, admin)
    url = reverse("accounts:organisation", args=[org.slug])
    page = client.get(url).content.decode()
    assert "Invite a colleague" in page and alice.email in page

    assert client.post(url, {"action": "invite", "email": "Lena.New@TCC.test",
                             "role": "lawyer"}).status_code == 302
    newcomer = User.objects.get(email="lena.new@tcc.test")
    assert Membership.objects.get(user=newcomer, organisation=org).role == "lawyer"
    assert not newcomer.has_usable_password()
    assert len(mail.outbox) == 1 and newcomer.email in mail.outbox[0].to  # her link

    assert client.post(url, {"action": "role", "member": newcomer.pk,
                             "role": "caseworker"}).status_code == 302
    assert Membership.objects.get(user=newcomer).role == "caseworker"

    other = client.__class__()
    log_in_with_code(other, alice)
    assert other.get(reverse("cases:list")).status_code == 200
    assert client.post(url, {"action": "deactivate", "member": alice.pk}).status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert other.get(reverse("cases:list")).status_code == 302  # her session ended
    assert ApiClient(issued.secret).get("cases").status_code == 401  # and her token
    recorded = [(e.actor, e.subject, e.detail["change"]) for e in OrganisationEntry.objects
                .filter(organisation=org, action="membership.set", actor__isnull=False)]
    assert recorded == [(admin, f"membership:{newcomer.pk}", "invite"),
                        (admin, f"membership:{newcomer.pk}", "role"),
                        (admin, f"membership:{alice.pk}", "deactivate")]
    page = client.get(url).content.decode()
    assert f"{newcomer.email} invited as Lawyer" in page
    assert f"{alice} switched off" in page


def test_only_administrators_change_people(client, org, alice, carol, personas):
    log_in_with_code(client, carol)  # a supervisor
    url = reverse("accounts:organisation", args=[org.slug])
    response = client.post(url, {"action": "invite", "email": "x@tcc.test", "role": "admin"})
    assert response.status_code == 403
    assert not User.objects.filter(email="x@tcc.test").exists()
    admin = personas["admin"]
    client.logout()
    log_in_with_code(client, admin)
    client.post(url, {"action": "deactivate", "member": admin.pk})
    admin.refresh_from_db()
    assert admin.is_active  # nobody switches herself off
