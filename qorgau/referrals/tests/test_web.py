"""The pages: the directory and its places, a case's referral page (need -> matching
providers -> refer, refused in plain words without consent), moves, the services panel."""

from __future__ import annotations

from django.urls import reverse

from qorgau.consent import services as consent
from qorgau.referrals import services
from qorgau.referrals.models import Provider, Referral


def test_directory_filters_and_shows_places_with_last_update(client, db, alice, erin):
    services.load_demo_directory()
    client.force_login(alice)
    page = client.get(reverse("referrals:directory"), {"region": "kz-west", "need": "legal"})
    body = page.content.decode()
    assert "Bereke Legal Aid (fictional)" in body
    assert "Aqsai Women" not in body  # a shelter without legal aid
    shelter = Provider.objects.get(kind="shelter")
    response = client.post(reverse("referrals:places", args=[shelter.pk]), {"places": "2"})
    assert response.status_code == 302
    shelter.refresh_from_db()
    assert shelter.places_available == 2 and shelter.places_updated_by == alice
    body = client.get(reverse("referrals:directory")).content.decode()
    assert "updated " in body and str(alice) in body
    client.force_login(erin)  # a monitor reads the directory but changes nothing
    assert client.get(reverse("referrals:directory")).status_code == 200
    assert client.post(reverse("referrals:places", args=[shelter.pk]),
                       {"places": "5"}).status_code == 403


def test_refer_from_the_case_page(client, case, alice, consent_to):
    services.load_demo_directory()
    url = reverse("referrals:case", args=[case.reference])
    client.force_login(alice)
    page = client.get(url, {"need": "shelter", "with_children": "on", "oldest_boy": "11"})
    body = page.content.decode()
    assert "Zhaiyk Crisis Centre (fictional)" in body  # boys up to 12, places free
    assert "Aqsai Women" not in body  # full, and boys only up to 10
    assert "There is no consent from the survivor to a referral" in body
    centre = Provider.objects.get(name="Zhaiyk Crisis Centre (fictional)")
    grant = consent_to(case, alice, "referral", categories=["identity", "contact"])
    consent.revoke_consent(grant, alice, "She withdrew it")
    post = {"provider": centre.pk, "need": "shelter", "grant": grant.pk,
            "categories": ["identity"], "with_children": "on", "oldest_boy": "11"}
    refused = client.post(url, post)
    assert refused.status_code == 200
    assert f"The survivor revoked consent no. {grant.pk}" in refused.content.decode()
    assert not Referral.objects.exists()

    grant = consent_to(case, alice, "referral", categories=["identity", "contact"])
    response = client.post(url, {**post, "grant": grant.pk})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.categories == ["identity"] and referral.grant == grant

    move = reverse("referrals:move", args=[case.reference, referral.pk])
    client.post(move, {"state": "declined", "reason": ""})
    referral.refresh_from_db()
    assert referral.state == "made"  # a decline needs a reason
    client.post(move, {"state": "declined", "reason": "No places for her sons"})
    referral.refresh_from_db()
    assert referral.state == "declined"
    panel = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Refused or withdrawn, and why" in panel and "No places for her sons" in panel


def test_a_reader_cannot_refer(client, case, alice, bob, consent_to):
    from qorgau.cases import services as case_services
    case_services.assign(case, bob, alice, "read")
    services.load_demo_directory()
    centre = Provider.objects.get(name="Zhaiyk Crisis Centre (fictional)")
    grant = consent_to(case, alice, "referral", categories=["identity"])
    client.force_login(bob)
    response = client.post(reverse("referrals:case", args=[case.reference]),
                           {"provider": centre.pk, "need": "shelter", "grant": grant.pk,
                            "categories": ["identity"]})
    assert response.status_code == 403
    assert not Referral.objects.exists()
