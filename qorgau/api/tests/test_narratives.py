"""Narratives through the API (issue 31): the same service as the pages, case membership,
Idempotency-Key, and every answer checked against the published schema (ApiClient)."""

from __future__ import annotations

import pytest

from qorgau.cases import services as case_services
from qorgau.cases.models import Event, EventLink, EventParty, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.intake.models import Narrative, Proposal
from qorgau.intake.tests.test_review import evidence_dir  # noqa: F401

STORY = ("On 3 March 2024 her husband beat her and choked her. "
         "The next day she reported it to the police, who refused to open a case.")


@pytest.fixture
def api(api_as, alice):
    return api_as(alice)


def _add(api, case, text: str = STORY, **extra) -> dict:
    response = api.post(f"cases/{case.reference}/narratives", {"text": text, **extra})
    assert response.status_code == 202, response.content
    return response.json()


def test_add_read_and_review_a_narrative(api, case, alice, survivor, respondent) -> None:
    events = Event.objects.filter(case=case).count()
    added = _add(api, case, reliability="probable")
    # The test settings read it at once (the immediate task backend): ready, nothing recorded.
    assert (added["status"], added["progress"], added["lang"]) == ("ready", 100, "en")
    assert added["proposals"] == added["pending"] == 4  # "beat her and choked her": two acts
    assert Event.objects.filter(case=case).count() == events
    narrative = f"cases/{case.reference}/narratives/{added['id']}"
    assert api.get(narrative).json()["status"] == "ready"
    assert [n["id"] for n in api.get(f"cases/{case.reference}/narratives").json()] == [
        added["id"]]
    proposals = {p["kind"]: p for p in api.get(f"{narrative}/proposals").json()}
    assert sorted(proposals) == ["case_refused", "physical_assault", "police_report",
                                 "strangulation"]
    choking = proposals["strangulation"]
    assert choking["sentence"].startswith("On 3 March 2024 her husband")
    assert choking["when"]["start"] == "2024-03-03" and choking["actors"] == ["partner"]
    assert choking["parties"] == [{"party": survivor.pk, "role": "victim"},
                                  {"party": respondent.pk, "role": "perpetrator"}]
    report, refusal = proposals["police_report"], proposals["case_refused"]
    done = api.post(f"{narrative}/review", {"decisions": [
        {"proposal": choking["id"], "accept": True},
        {"proposal": report["id"], "accept": True, "when": {"start": "05.03.2024"},
         "institution": "police"},
        {"proposal": refusal["id"], "accept": False},
        {"proposal": proposals["physical_assault"]["id"], "accept": False},
    ]})
    assert done.status_code == 200, done.content
    assert done.json()["rejected"] == 2
    first, second = done.json()["accepted"]
    incident = Event.objects.get(case=case, number=first)
    filed = Event.objects.get(case=case, number=second)
    assert filed.when_start == "2024-03-05" and filed.reliability == "probable"
    assert {(ep.party_id, ep.role) for ep in EventParty.objects.filter(event=incident)} == {
        (survivor.pk, "victim"), (respondent.pk, "perpetrator")}
    assert EventLink.objects.get(source=filed).target == incident
    after = {p["id"]: p for p in api.get(f"{narrative}/proposals").json()}
    assert after[choking["id"]]["event"] == after[choking["id"]]["current_event"] == first
    assert after[refusal["id"]]["status"] == "rejected"
    assert api.get(narrative).json()["pending"] == 0
    # Decided once: deciding it again is refused, and nothing is written.
    entries = LedgerEntry.objects.filter(case=case).count()
    again = api.post(f"{narrative}/review", {"decisions": [
        {"proposal": choking["id"], "accept": True}]})
    assert again.status_code == 422 and "already been decided" in again.json()["message"]
    assert LedgerEntry.objects.filter(case=case).count() == entries
    assert verify_case(case.pk, case.reference).problem is None


def test_reconsider_a_rejection_but_not_an_acceptance(api, case) -> None:
    added = _add(api, case)
    narrative = f"cases/{case.reference}/narratives/{added['id']}"
    proposals = {p["kind"]: p for p in api.get(f"{narrative}/proposals").json()}
    report, refusal = proposals["police_report"], proposals["case_refused"]
    api.post(f"{narrative}/review", {"decisions": [
        {"proposal": report["id"], "accept": True},
        {"proposal": refusal["id"], "accept": False}]})
    back = api.post(f"{narrative}/proposals/{refusal['id']}/reconsider")
    assert back.status_code == 200 and back.json()["status"] == "pending"
    # Accepted: it is an event; 409 names the event to correct.
    number = Proposal.objects.get(pk=report["id"]).event.number
    refused = api.post(f"{narrative}/proposals/{report['id']}/reconsider")
    assert refused.status_code == 409 and f"event {number}" in refused.json()["message"]
    # Corrected through the correction route, the proposal names the newest version.
    corrected = api.post(f"cases/{case.reference}/events/{number}/corrections", {
        "kind": "complaint_official", "when": {"start": "2024-03-04"}, "source": "survivor",
        "reliability": "unverified", "reason": "It was a complaint about the officer."})
    assert corrected.status_code == 201, corrected.content
    shown = {p["id"]: p for p in api.get(f"{narrative}/proposals").json()}
    assert shown[report["id"]]["current_event"] == corrected.json()["number"]
    pending = api.post(f"{narrative}/proposals/{refusal['id']}/reconsider")
    assert pending.status_code == 409 and "not been decided" in pending.json()["message"]


def test_bad_input_is_a_plain_error_and_stores_nothing(api, case) -> None:
    url = f"cases/{case.reference}/narratives"
    for body, says in [
        ({"text": " \n "}, "no text to read"),
        ({"text": "x" * 100_001}, "the limit is 100"),
        ({"text": "Der Mann hat die Frau geschlagen und die Polizei kam nicht."},
         "not in Russian, Kazakh or English"),
        ({"text": STORY, "source": "rumour"}, "Choose a source"),
    ]:
        response = api.post(url, body)
        assert response.status_code == 422, (body, response.content)
        assert says in response.json()["message"], response.json()
    assert api.post(url, {"text": STORY, "extra": 1}).status_code == 422
    assert not Narrative.objects.filter(case=case).exists()
    added = _add(api, case)
    review = f"{url}/{added['id']}/review"
    assert api.post(review, {"decisions": []}).status_code == 422
    proposal = api.get(f"{url}/{added['id']}/proposals").json()[0]["id"]
    bad = api.post(review, {"decisions": [{"proposal": proposal, "accept": True,
                                           "when": {"start": "31.02.2024"}}]})
    assert bad.status_code == 422 and "Proposal 1" in bad.json()["message"]
    bad = api.post(review, {"decisions": [{"proposal": proposal, "accept": True,
                                           "links": [{"event": 999, "kind": "reports"}]}]})
    assert bad.status_code == 422 and "Event 999 was not found" in bad.json()["message"]


def test_other_cases_and_readers(api_as, case, alice, frank, org) -> None:
    added = _add(api_as(alice), case)
    narrative = f"cases/{case.reference}/narratives/{added['id']}"
    # Not assigned: the case and its narratives do not exist (404), reading or writing.
    stranger = api_as(frank)
    for method, path in [("get", narrative), ("get", f"{narrative}/proposals"),
                         ("post", f"cases/{case.reference}/narratives")]:
        response = getattr(stranger, method)(path, {"text": STORY} if method == "post" else None)
        assert response.status_code == 404, (path, response.content)
    # A narrative of another case, by its id under this case: 404.
    other = case_services.create_case(org, alice, region="kz-west")
    assert api_as(alice).get(f"cases/{other.reference}/narratives/{added['id']}"
                             ).status_code == 404
    # Read scope only: reads, but may not review.
    reader = api_as(alice, ["read"])
    assert reader.get(f"{narrative}/proposals").status_code == 200
    proposal = reader.get(f"{narrative}/proposals").json()[0]["id"]
    assert reader.post(f"{narrative}/review", {"decisions": [
        {"proposal": proposal, "accept": False}]}).status_code == 403


def test_a_retry_with_the_same_idempotency_key_is_answered_once(api, case) -> None:
    url = f"cases/{case.reference}/narratives"
    key = {"Idempotency-Key": "narrative-1"}
    first = api.post(url, {"text": STORY}, headers=key)
    second = api.post(url, {"text": STORY}, headers=key)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert Narrative.objects.filter(case=case).count() == 1
    proposal = api.get(f"{url}/{first.json()['id']}/proposals").json()[0]["id"]
    review = f"{url}/{first.json()['id']}/review"
    body = {"decisions": [{"proposal": proposal, "accept": True}]}
    key = {"Idempotency-Key": "review-1"}
    once = api.post(review, body, headers=key)
    twice = api.post(review, body, headers=key)
    assert once.status_code == twice.status_code == 200 and once.json() == twice.json()
    assert Event.objects.filter(case=case).current().count() == 1


def test_the_schema_publishes_the_servers_vocabularies() -> None:
    from qorgau.api.tests.contract import openapi
    from qorgau.cases import taxonomy
    from qorgau.intake import extract
    from qorgau.intake import services as intake

    schemas = openapi()["components"]["schemas"]

    def enum(name: str, field: str) -> set:
        return set(schemas[name]["properties"][field]["enum"])

    assert enum("NarrativeIn", "source") == set(taxonomy.SOURCES)
    assert enum("NarrativeIn", "reliability") == set(taxonomy.RELIABILITY)
    assert enum("NarrativeIn", "lang") == {"", *extract.LANGUAGES}
    assert schemas["NarrativeIn"]["properties"]["text"]["maxLength"] == intake.MAX_CHARS
    assert enum("DecisionIn", "kind") == {*taxonomy.BY_ID, None}
    assert enum("DecisionIn", "institution") == {"", *taxonomy.INSTITUTIONS, None}
    assert enum("PartyRole", "role") == set(EventParty.Role.values)
    assert enum("EventLinkTo", "kind") == set(taxonomy.LINK_KINDS)
