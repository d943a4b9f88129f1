"""Cases, parties, events and obligations through the API, every answer schema-checked."""

from __future__ import annotations

import json
import re

from django.test import Client, override_settings

from qorgau.api.models import ApiAuditEntry
from qorgau.api.tests.contract import ApiClient
from qorgau.cases import services
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.conftest import make_event

EVENT = {"kind": "physical_assault", "when": {"start": "2024-03-02"}, "source": "survivor",
         "reliability": "probable", "narrative": "He hit her in the kitchen."}


def test_open_a_case_and_read_it_back(api_as, alice):
    api = api_as(alice)
    response = api.post("cases", {"region": "kz-west", "survivor_name": "Aigul Test"})
    assert response.status_code == 201
    ref = response.json()["reference"]
    case = Case.objects.get(reference=ref)
    assert case.created_by == alice and case.parties.get().full_name == "Aigul Test"
    body = api.get(f"cases/{ref}").json()
    assert body["region"] == "KZ-27" and body["access"] == "write"  # kz-west, as ISO
    # The read is on the case's ledger, as a page view is.
    assert LedgerEntry.objects.filter(case=case, action="case.view",
                                      detail__page="api:case").count() == 1


def test_case_list_pages_with_a_cursor_and_filters(api_as, alice, org):
    refs = [services.create_case(org, alice, region="kz-west").reference for _ in range(5)]
    services.set_status(Case.objects.get(reference=refs[0]), alice, "closed")
    api = api_as(alice)
    first = api.get("cases", {"limit": 2}).json()
    assert [c["reference"] for c in first["items"]] == refs[::-1][:2]
    second = api.get("cases", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = api.get("cases", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [c["reference"] for c in second["items"] + third["items"]] == refs[::-1][2:]
    assert third["next_cursor"] is None
    closed = api.get("cases", {"status": "closed"}).json()["items"]
    assert [c["reference"] for c in closed] == [refs[0]]
    assert api.get("cases", {"cursor": "not-a-cursor"}).json()["code"] == "bad_cursor"


def test_cases_of_others_do_not_exist(api_as, case, dave, erin, frank):
    for user in (dave, erin, frank):
        api = api_as(user)
        assert api.get("cases").json()["items"] == []
        response = api.get(f"cases/{case.reference}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.",
                                   "field": None}
        assert api.post(f"cases/{case.reference}/events", EVENT).status_code == 404
    assert not Event.objects.filter(case=case).exists()


def test_read_only_assignee_may_read_but_not_record(api_as, case, alice, dave):
    services.assign(case, dave, alice, access="read")
    api = api_as(dave)
    assert api.get(f"cases/{case.reference}/events").status_code == 200
    response = api.post(f"cases/{case.reference}/events", EVENT)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_record_list_and_correct_events(api_as, case, alice, survivor, respondent):
    api = api_as(alice)
    url = f"cases/{case.reference}/events"
    created = api.post(url, {**EVENT, "parties": [
        {"party": respondent.pk, "role": "perpetrator"},
        {"party": survivor.pk, "role": "victim"}]})
    assert created.status_code == 201
    event = created.json()
    assert event["number"] == 1 and event["narrative"] == "He hit her in the kitchen."
    assert {p["role"] for p in event["parties"]} == {"perpetrator", "victim"}
    report = api.post(url, {"kind": "police_report", "when": {"start": "2024-03-03"},
                            "source": "survivor", "reliability": "confirmed",
                            "institution": "police", "attributes": {"mode": "written"},
                            "links": [{"event": 1, "kind": "related_to"}]}).json()
    assert report["links"] == [{"event": 1, "kind": "related_to"}]
    fixed = api.post(f"{url}/1/corrections", {**EVENT, "when": {"start": "2024-03-01"},
                                              "reason": "She remembered the date."})
    assert fixed.status_code == 201 and fixed.json()["supersedes"] == 1
    again = api.post(f"{url}/1/corrections", {**EVENT, "reason": "Again."})
    assert again.status_code == 409 and again.json()["code"] == "already_corrected"
    current = api.get(url).json()["items"]
    assert [e["number"] for e in current] == [2, 3]
    history = api.get(url, {"history": "true"}).json()["items"]
    assert history[0]["superseded_by"] == 3
    assert [e["number"] for e in api.get(url, {"kind": "police_report"}).json()["items"]] == [2]
    assert [e["number"] for e in api.get(url, {"group": "abuse"}).json()["items"]] == [3]
    assert [e["number"] for e in api.get(url, {"since": "2024-03-03"}).json()["items"]] == [2]
    page = api.get(url, {"limit": 1}).json()
    rest = api.get(url, {"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [page["items"][0]["number"], rest["items"][0]["number"]] == [2, 3]
    assert api.get(f"{url}/3").json()["correction_reason"] == "She remembered the date."
    assert api.get(f"{url}/99").status_code == 404


def test_bad_input_is_refused_field_by_field_and_writes_nothing(api_as, case, alice):
    api = api_as(alice)
    before = LedgerEntry.objects.filter(case=case).count()
    url = f"cases/{case.reference}/events"
    bad_kind = api.post(url, {**EVENT, "kind": "picnic", "source": "rumour"})
    assert bad_kind.status_code == 422
    body = bad_kind.json()
    assert body["code"] == "invalid"
    assert {e["field"] for e in body["errors"]} == {"kind", "source"}
    bad_date = api.post(url, {**EVENT, "when": {"start": "2024-13-45"}})
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "when_start"
    missing = api.post(url, {"kind": "physical_assault"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"when", "source"}
    extra = api.post(url, {**EVENT, "colour": "red"})
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "colour"
    unknown_attr = api.post(url, {**EVENT, "attributes": {"mood": "x"}})
    assert unknown_attr.json()["field"] == "attributes"
    other_party = api.post(url, {**EVENT, "parties": [{"party": 999999, "role": "victim"}]})
    assert other_party.status_code == 422 and other_party.json()["field"] == "parties"
    malformed = api.post(url, "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    form = api.post(url, {"kind": "physical_assault"},
                    content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json()["code"] == "unsupported_media_type"
    assert LedgerEntry.objects.filter(case=case).count() == before
    assert not Event.objects.filter(case=case).exists()


def test_parties(api_as, case, alice):
    api = api_as(alice)
    url = f"cases/{case.reference}/parties"
    made = api.post(url, {"role": "respondent", "full_name": "Marat  Test",
                          "relationship": "spouse", "co_resident": True})
    assert made.status_code == 201 and made.json()["full_name"] == "Marat Test"
    pk = made.json()["id"]
    changed = api.patch(f"{url}/{pk}", {"phone": "+7 700 000 00 00"}).json()
    assert changed["phone"] == "+7 700 000 00 00" and changed["relationship"] == "spouse"
    assert [p["id"] for p in api.get(url).json()] == [pk]
    blank = api.post(url, {"role": "witness", "full_name": "   "})
    assert blank.status_code == 422 and blank.json()["field"] == "full_name"
    assert api.patch(f"{url}/999999", {"phone": "1"}).status_code == 404


def test_breached_obligation_is_read_back(api_as, case, alice):
    order = make_event(case, alice, kind="order_issued", start="2024-01-10",
                       institution="police")
    assert order.number == 1
    api = api_as(alice)
    response = api.post(f"cases/{case.reference}/events", {
        "kind": "order_breached", "when": {"start": "2024-02-01"}, "source": "survivor",
        "reliability": "probable", "links": [{"event": 1, "kind": "breach_of"}]})
    assert response.status_code == 201
    report = api.post(f"cases/{case.reference}/events", {
        "kind": "police_report", "when": {"start": "2024-02-01"}, "source": "survivor",
        "reliability": "confirmed", "institution": "police",
        "links": [{"event": 2, "kind": "related_to"}]})
    assert report.status_code == 201
    duties = api.get(f"cases/{case.reference}/obligations").json()
    breached = [d for d in duties if d["rule_id"] == "kz.breach-response"]
    assert breached and breached[0]["status"] == "breached"
    assert breached[0]["trigger"] == 3 and breached[0]["duty_bearer"]
    only = api.get(f"cases/{case.reference}/obligations", {"status": "breached"}).json()
    assert only and {d["status"] for d in only} == {"breached"}


def test_status(api_as, case, alice):
    api = api_as(alice)
    assert api.post(f"cases/{case.reference}/status", {"status": "closed"}).json()[
        "status"] == "closed"
    assert api.post(f"cases/{case.reference}/status", {"status": "gone"}).status_code == 422


def test_restricted_events_stay_hidden_from_supervisors(api_as, case, alice, carol):
    make_event(case, alice, kind="self_harm", start="2024-01-02")
    make_event(case, alice, kind="physical_assault", start="2024-01-03")
    assert len(api_as(alice).get(f"cases/{case.reference}/events").json()["items"]) == 2
    seen = api_as(carol).get(f"cases/{case.reference}/events").json()["items"]
    assert [e["kind"] for e in seen] == ["physical_assault"]
    assert api_as(carol).get(f"cases/{case.reference}/events/1").status_code == 404


# --- authentication, scopes, limits -----------------------------------------------------

def test_no_token_bad_token_revoked_and_expired(case, alice, token_for):
    from qorgau.api import tokens
    from qorgau.api.models import ApiToken

    assert ApiClient().get("cases").status_code == 401
    assert ApiClient().get("cases").json()["code"] == "not_authenticated"
    assert ApiClient("qg_nope_nope").get("cases").json()["code"] == "invalid_token"
    secret = token_for(alice)
    token = ApiToken.objects.get(user=alice)
    tokens.revoke_token(token, alice)
    assert ApiClient(secret).get("cases").json()["code"] == "invalid_token"
    secret = token_for(alice)
    ApiToken.objects.filter(revoked_at__isnull=True).update(expires_at="2000-01-01T00:00Z")
    assert ApiClient(secret).get("cases").status_code == 401


def test_scopes(api_as, case, alice):
    reader = api_as(alice, ["read"])
    assert reader.get(f"cases/{case.reference}").status_code == 200
    response = reader.post(f"cases/{case.reference}/events", EVENT)
    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    writer = api_as(alice, ["write"])
    assert writer.get("cases").json()["code"] == "scope_missing"
    assert writer.post(f"cases/{case.reference}/events", EVENT).status_code == 201


@override_settings(QORGAU_API_RATE_PER_MINUTE=3)
def test_rate_limit_per_token(api_as, alice):
    api = api_as(alice)
    assert [api.get("cases").status_code for _ in range(3)] == [200] * 3
    limited = api.get("cases")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert api_as(alice).get("cases").status_code == 200  # another token has its own window


def test_token_use_is_on_the_owners_trail(api_as, case, alice):
    api_as(alice).get(f"cases/{case.reference}")
    use = ApiAuditEntry.objects.get(user=alice, action="token.use")
    assert (use.method, use.path, use.status) == ("GET", f"/api/v1/cases/{case.reference}",
                                                  200)
    assert ApiAuditEntry.objects.filter(user=alice, action="token.create").count() == 1


def test_browser_session_works_with_csrf(case, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    api = ApiClient(client=browser)
    assert api.get(f"cases/{case.reference}").status_code == 200
    refused = api.post(f"cases/{case.reference}/events", EVENT)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    browser.get("/settings/api-tokens/")  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    made = api.post(f"cases/{case.reference}/events", EVENT, headers={"X-CSRFToken": token})
    assert made.status_code == 201


def test_errors_carry_no_traces(api_as, case, alice):
    response = api_as(alice).post(f"cases/{case.reference}/events", [1, 2])
    assert response.status_code == 422
    assert "Traceback" not in json.dumps(response.json())


def test_schema_and_docs_are_served_without_external_resources(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    text = docs.content.decode()
    # Everything the page loads comes from this instance (no CDN), and no inline script
    # runs (the strict CSP would block it): the settings are a JSON data block.
    assert re.findall(r'(?:src|href)="([^"]+)"', text)
    assert all(url.startswith("/") for url in re.findall(r'(?:src|href)="([^"]+)"', text))
    assert "/static/ninja/swagger-ui-bundle.js" in text
    assert re.findall(r"<script(?: [^>]*)?>", text) == [
        '<script type="application/json" id="swagger-settings">',
        '<script src="/static/ninja/swagger-ui-bundle.js">',
        '<script src="/static/ninja/swagger-ui-init.js">']


def test_text_no_database_can_store_is_bad_input(api_as, case, alice):
    api = api_as(alice)
    url = f"cases/{case.reference}/events"
    nul = api.post(url, {**EVENT, "institution_unit": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["code"] == "invalid_text"
    surrogate = api.post(url, '{"kind": "\\ud800"}', content_type="application/json")
    assert surrogate.status_code == 422 and surrogate.json()["code"] == "invalid_text"
    assert api.post("cases/search", {"q": "x\x00"}).json()["code"] == "invalid_text"
    assert api.get(f"{url}/99999999999").status_code == 422  # past any stored number
    huge = api.post(url, {**EVENT, "parties": [{"party": 2**40, "role": "victim"}]})
    assert huge.status_code == 422
    assert not Event.objects.filter(case=case).exists()
