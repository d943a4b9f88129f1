"""Every API operation, for every persona, against an explicit table.

The operations are read from the OpenAPI schema (which lists every ninja operation); an
operation without an entry in OPERATIONS fails `test_every_operation_is_in_the_table`. Each
call sends a valid body, so the answer shows the access rule, not input validation.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from qorgau.api.tests.contract import ApiClient, check, openapi
from qorgau.bundles import services as bundle_services
from qorgau.cases import casefile
from qorgau.conftest import make_event
from qorgau.evidence import services as evidence_services
from qorgau.referrals.models import Provider
from qorgau.tests.test_authorization_matrix import _patterns

PERSONAS = ("anonymous", "outsider", "other_org", "monitor", "unassigned_lawyer",
            "caseworker", "supervisor", "admin")
ASSIGNED = {"caseworker", "supervisor"}
CASE_ROLE_PERSONAS = {"outsider", "other_org", "unassigned_lawyer", "caseworker", "supervisor",
                      "admin"}

EVENT = {"kind": "police_report", "when": {"start": "2024-05-01"}, "source": "survivor",
         "reliability": "probable"}

# (method, path) -> (kind, body)
#   "case": the case's assignees get 2xx, every other persona 404, no token 401
#   "member": anyone with a token gets 2xx (their own data only), no token 401
#   "opener": people with a case role open cases (201); a monitor is refused (422)
#   "insights": monitors (suppressed), supervisors and administrators get 200, others 404
#   "lock": the panic lock needs the "lock" scope, which these tokens lack: 403 for everyone
#   (and 404 without trustee custody; qorgau/operations/tests/test_custody.py locks with it)
CASE, MEMBER, OPENER, INSIGHTS, LOCK = "case", "member", "opener", "insights", "lock"
MULTIPART = {"multipart": True}
DOCUMENT = {"document": True}  # the world's case file, filled in by the test
OPERATIONS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("get", "/api/v1/cases"): (MEMBER, None),
    ("post", "/api/v1/cases"): (OPENER, {"region": "kz-west"}),
    ("post", "/api/v1/cases/search"): (MEMBER, {"q": "Zhanar Testbayeva"}),
    ("get", "/api/v1/cases/{ref}"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/status"): (CASE, {"status": "open"}),
    ("get", "/api/v1/cases/{ref}/parties"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/parties"): (CASE, {"role": "witness", "full_name": "W"}),
    ("patch", "/api/v1/cases/{ref}/parties/{party_id}"): (CASE, {"notes": "n"}),
    ("get", "/api/v1/cases/{ref}/events"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/events"): (CASE, EVENT),
    ("get", "/api/v1/cases/{ref}/events/{number}"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/events/{number}/corrections"): (
        CASE, {**EVENT, "reason": "Checked the record."}),
    ("get", "/api/v1/cases/{ref}/obligations"): (CASE, None),
    ("get", "/api/v1/cases/{ref}/exhibits"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/exhibits"): (CASE, MULTIPART),
    ("get", "/api/v1/cases/{ref}/exhibits/{number}"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/exhibits/{number}/original"): (CASE, {"why": "Court"}),
    ("get", "/api/v1/cases/{ref}/bundles"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/bundles"): (CASE, {"language": "en"}),  # + its grant
    ("get", "/api/v1/cases/{ref}/bundles/{bundle_id}"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/bundles/{bundle_id}/download"): (CASE, None),
    ("get", "/api/v1/cases/{ref}/casefile"): (CASE, None),
    ("post", "/api/v1/casefile"): (OPENER, DOCUMENT),
    ("get", "/api/v1/cases/{ref}/risk-assessments"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/risk-assessments"): (CASE, {"instrument": "qorgau-open"}),
    ("get", "/api/v1/cases/{ref}/referrals"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/referrals"): (CASE, {"need": "shelter",
                                                       "categories": ["identity"]}),
    ("get", "/api/v1/cases/{ref}/proceedings"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/proceedings"): (CASE, {"kind": "criminal_respondent",
                                                         "court": "Court"}),
    ("patch", "/api/v1/cases/{ref}/proceedings/{proceeding_id}"): (CASE, {"judge": "J."}),
    # The unassigned lawyer is added, hands the case to the administrator, is removed (again).
    ("get", "/api/v1/cases/{ref}/people"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/people"): (CASE, {"user": "{user_id}", "access": "write"}),
    ("post", "/api/v1/cases/{ref}/people/{user_id}/handover"): (CASE, {"to": "{admin}"}),
    ("delete", "/api/v1/cases/{ref}/people/{user_id}"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/proceedings/{proceeding_id}/steps"): (
        CASE, {**EVENT, "kind": "hearing"}),
    ("get", "/api/v1/cases/{ref}/narratives"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/narratives"): (CASE, {"text": "On 5 May 2024 he hit her."}),
    ("get", "/api/v1/cases/{ref}/narratives/{narrative_id}"): (CASE, None),
    ("get", "/api/v1/cases/{ref}/narratives/{narrative_id}/proposals"): (CASE, None),
    ("post", "/api/v1/cases/{ref}/narratives/{narrative_id}/review"): (CASE, {}),  # + proposal
    ("post", "/api/v1/cases/{ref}/narratives/{narrative_id}/proposals/{proposal_id}/reconsider"):
        (CASE, None),
    ("get", "/api/v1/insights/metrics"): (INSIGHTS, None),
    ("get", "/api/v1/insights/metrics/{metric_id}"): (INSIGHTS, None),
    ("post", "/api/v1/lock"): (LOCK, None),
}
INSIGHT_PERSONAS = {"monitor", "supervisor", "admin"}
# Served beside the operations, to anyone: the schema and the docs page.
NOT_OPERATIONS = {"api:openapi-json", "api:openapi-view", "api:api-root"}


def _operations() -> set[tuple[str, str]]:
    return {(method, path) for path, ops in openapi()["paths"].items() for method in ops}


def test_every_operation_is_in_the_table():
    missing = sorted(_operations() - set(OPERATIONS))
    assert not missing, f"API operations without an entry in the table: {missing}"
    assert not set(OPERATIONS) - _operations()
    # Every URL the API serves is one of those operations (named after its view).
    ids = [op["operationId"] for ops in openapi()["paths"].values() for op in ops.values()]
    names = {name for name, _p in _patterns() if name.startswith("api:")} - NOT_OPERATIONS
    unlisted = [n for n in names if not any(i.endswith("_" + n[4:]) for i in ids)]
    assert not unlisted, unlisted


@pytest.fixture
def world(db, alice, case, survivor, consent_to, personas):
    # One event per persona, so that each may correct "its" event once.
    events = {p: make_event(case, alice, kind="hearing", start="2024-01-05").number
              for p in PERSONAS}
    exhibit = evidence_services.ingest(case, alice, evidence_services.Upload(
        io.BytesIO(b"A note.\n"), "note.txt"))
    court = consent_to(case, alice, "court")
    bundle = bundle_services.request_bundle(case, alice, "en", sees_restricted=True,
                                            grant_id=court.pk)
    consent_to(case, alice, "transfer")
    provider = Provider.objects.create(name="Shelter", kind="shelter", region="kz-west",
                                       services=["shelter"], capacity=5)
    outside = consent_to(case, alice, "referral")
    from qorgau.proceedings import services as proceeding_services

    proceeding = proceeding_services.open_proceeding(case, alice, kind="criminal_respondent",
                                                     court="Court")
    from qorgau.intake import services as intake

    narrative = intake.add_narrative(case, alice, intake.read_source(
        text="On 26 February 2024 he strangled her and threatened to kill her with a knife."))
    pending, rejected, *_rest = narrative.proposals.all()
    intake.review(narrative, alice, [intake.Decision(rejected.pk, False)])
    ids = {"{ref}": case.reference, "{party_id}": str(survivor.pk),
           "{user_id}": str(personas["unassigned_lawyer"].pk),
           "{admin}": str(personas["admin"].pk),
           "{proceeding_id}": str(proceeding.pk),
           "{bundle_id}": str(bundle.pk), "{metric_id}": "orders_issued",
           "{exhibit}": str(exhibit.number), "{narrative_id}": str(narrative.pk),
           "{proposal_id}": str(rejected.pk)}
    bodies = {"grant": court.pk, "document": casefile.build_document(case),
              "referral": {"provider": provider.pk, "grant": outside.pk},
              "review": {"decisions": [{"proposal": pending.pk, "accept": False}]}}
    return ids, personas, events, bodies


def _url(path: str, ids: dict[str, str], number: int) -> str:
    for key, value in ids.items():
        path = path.replace(key, value)
    return path.replace("{number}", ids["{exhibit}"] if "/exhibits/" in path else str(number))


def _expected(kind: str, persona: str, method: str) -> set[int]:
    if persona == "anonymous":
        return {401}
    if kind == MEMBER:
        return {200}
    if kind == OPENER:
        return {201} if persona in CASE_ROLE_PERSONAS else {422}
    if kind == INSIGHTS:
        return {200} if persona in INSIGHT_PERSONAS else {404}
    if kind == LOCK:
        return {403}
    if persona not in ASSIGNED:
        return {404}
    return {200} if method == "get" else {200, 201, 202}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_authorization_matrix(world, token_for, persona):
    ids, users, events, bodies = world
    user = users[persona]
    api = ApiClient(token_for(user) if user else None)
    for (method, path), (kind, body) in OPERATIONS.items():
        url = _url(path, ids, events[persona])
        if body is MULTIPART:
            response = api.client.post(url, {"file": _file(persona)}, headers=api.headers)
            check("POST", url, response)
        else:
            if body is DOCUMENT:
                body = {"document": bodies["document"]}
            elif path.endswith("/bundles") and method == "post":
                body = {**(body or {}), "grant": bodies["grant"]}
            elif path.endswith("/referrals") and method == "post":
                body = {**(body or {}), **bodies["referral"]}
            elif path.endswith("/review"):
                body = bodies["review"]
            if isinstance(body, dict):  # ids the table names by placeholder
                body = {k: int(ids[v]) if isinstance(v, str) and v in ids else v
                        for k, v in body.items()}
            response = getattr(api, method)(url, body)
        expected = _expected(kind, persona, method)
        assert response.status_code in expected, (
            f"{persona} {method.upper()} {path}: {response.status_code} {response.content!r}"
            f", expected {expected}")


def _file(persona: str) -> io.BytesIO:
    fh = io.BytesIO(f"Note by {persona}.\n".encode())
    fh.name = "note.txt"
    return fh


def test_schema_and_docs_answer_everyone(client):
    for name in ("api:openapi-json", "api:openapi-view"):
        assert client.get(reverse(name)).status_code == 200
