"""Risk assessments, referrals and proceedings through the API (schema-checked)."""

from __future__ import annotations

from qorgau.cases.models import LedgerEntry
from qorgau.conftest import make_event
from qorgau.referrals.models import Provider, Referral


def test_risk_assessment_asks_to_confirm_what_the_timeline_suggests(api_as, case, alice):
    make_event(case, alice, kind="strangulation", start="2024-01-05")
    api = api_as(alice)
    url = f"cases/{case.reference}/risk-assessments"
    unconfirmed = api.post(url, {"instrument": "qorgau-open"})
    assert unconfirmed.status_code == 422
    assert any(e["field"] for e in unconfirmed.json()["errors"])
    item = unconfirmed.json()["errors"][0]["field"]
    made = api.post(url, {"instrument": "qorgau-open", "answers": {
        item: {"answer": "yes", "suggestion": "confirmed"}}})
    assert made.status_code == 201, made.json()
    assert made.json()["answers"][item]["answer"] == "yes"
    assert [a["id"] for a in api.get(url).json()] == [made.json()["id"]]
    unknown = api.post(url, {"instrument": "../etc"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "instrument"


def test_referral_needs_her_consent(api_as, case, alice, survivor, consent_to):
    provider = Provider.objects.create(name="Shelter", kind="shelter", region="kz-west",
                                       services=["shelter"], capacity=5)
    api = api_as(alice)
    url = f"cases/{case.reference}/referrals"
    body = {"provider": provider.pk, "need": "shelter", "categories": ["identity"]}
    refused = api.post(url, {**body, "grant": 12345})
    assert refused.status_code in (403, 422) and not Referral.objects.exists()
    grant = consent_to(case, alice, "referral")
    made = api.post(url, {**body, "grant": grant.pk})
    assert made.status_code == 201 and made.json()["state"] == "made"
    assert api.get(url).json()[0]["provider"] == "Shelter"
    assert api.post(url, {**body, "provider": 999999, "grant": grant.pk}).json()[
        "field"] == "provider"


def test_proceedings_with_their_events(api_as, case, alice):
    hearing = make_event(case, alice, kind="hearing", start="2024-02-01")
    api = api_as(alice)
    url = f"cases/{case.reference}/proceedings"
    made = api.post(url, {"kind": "criminal_respondent", "court": "District court",
                          "charges": [{"text": "Assault", "article": "106"}],
                          "events": [hearing.number]})
    assert made.status_code == 201
    assert made.json()["events"] == [hearing.number]
    assert api.get(url).json()[0]["court"] == "District court"
    assert LedgerEntry.objects.filter(case=case, action="proceeding.create").count() == 1
    bad = api.post(url, {"kind": "duel", "court": "X"})
    assert bad.status_code == 422
    missing = api.post(url, {"kind": "criminal_respondent", "court": "X", "events": [99]})
    assert missing.status_code == 422 and missing.json()["field"] == "events"
