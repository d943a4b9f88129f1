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


def test_proceeding_steps_and_changes_through_the_api(api_as, case, alice):
    """The page's services through the API: a step joins the proceeding and moves its
    custody; a dated change of charges is a reclassification; bad input is a 422."""
    api = api_as(alice)
    url = f"cases/{case.reference}/proceedings"
    made = api.post(url, {"kind": "criminal_respondent", "court": "District court"}).json()
    one = f"{url}/{made['id']}"
    step = {"kind": "arrest", "when": {"start": "2024-01-10"}, "source": "document",
            "reliability": "confirmed", "institution": "police"}
    arrested = api.post(f"{one}/steps", step)
    assert arrested.status_code == 201
    assert arrested.json()["custody"][0]["state"] == "pretrial"
    convicted = api.post(f"{one}/steps", {**step, "kind": "verdict", "institution": "court",
                                          "when": {"start": "2024-05-10"},
                                          "attributes": {"outcome": "convicted"}}).json()
    assert convicted["pretrial_months"] == 4
    assert [c["state"] for c in convicted["custody"]] == ["pretrial", "sentence"]
    assert len(convicted["events"]) == 2
    not_a_step = api.post(f"{one}/steps", {**step, "kind": "physical_assault"})
    assert not_a_step.status_code == 422
    changed = api.patch(one, {"outcome": "convicted", "sentence_penalty": "custodial",
                              "sentence_term": "6 years", "judge": "Judge B.",
                              "charges": [{"text": "Torture", "article": "110"}],
                              "reclassified_on": {"start": "2024-03-01"}})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["outcome"], body["sentence_term"], body["judge"]) == (
        "convicted", "6 years", "Judge B.")
    assert len(body["events"]) == 3  # the reclassification joined the proceeding
    bad = api.patch(one, {"outcome": "acquitted", "sentence_penalty": "custodial"})
    assert bad.status_code == 422
    assert api.patch(one, {"outcome": "hanged"}).status_code == 422
    assert api.patch(one, {"reclassified_on": {"start": "2024-13-45"},
                           "charges": []}).status_code == 422
    assert api.patch(f"{url}/999999", {"judge": "X"}).status_code == 404
    assert LedgerEntry.objects.filter(case=case, action="proceeding.update").count() == 3
