"""The published schema says what the server checks (issue 28: the fuzzer found 12
operations whose documented input was looser than their validation): the enums are the
server's vocabularies, the patterns agree with its own "is there any text" checks, and the
links lead from what an answer names to the operations that take it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from qorgau.api.routers.casefile import MINIMAL_CASE_FILE
from qorgau.api.tests.contract import openapi
from qorgau.cases import dates, regions, services, taxonomy
from qorgau.cases.models import Party
from qorgau.consent import rules as consent_rules
from qorgau.proceedings import services as proceedings
from qorgau.proceedings.models import Proceeding
from qorgau.referrals import rules as referral_rules
from qorgau.risk import instruments
from qorgau.risk import services as risk


def _component(name: str) -> dict[str, Any]:
    return openapi()["components"]["schemas"][name]["properties"]  # type: ignore[no-any-return]


def _enum(name: str, field: str) -> set[Any]:
    return set(_component(name)[field]["enum"])


def test_the_enums_are_the_servers_vocabularies():
    assert _enum("EventIn", "kind") == set(taxonomy.BY_ID)
    assert _enum("StepIn", "kind") == set(proceedings.PROCEEDING_KINDS)
    assert _enum("EventIn", "source") == set(taxonomy.SOURCES)
    assert _enum("EventIn", "reliability") == set(taxonomy.RELIABILITY)
    assert _enum("EventIn", "institution") == {"", *taxonomy.INSTITUTIONS}
    assert set(_component("EventIn")["attributes"]["propertyNames"]["enum"]) == set(
        taxonomy.ATTRIBUTES)
    assert _enum("When", "qualifier") == set(dates.QUALIFIERS)
    assert _enum("When", "recurrence") == set(dates.RECURRENCES)
    assert _enum("EventLinkIn", "kind") == set(taxonomy.LINK_KINDS)
    assert _enum("ReportIn", "to") == set(services.REPORT_TO)
    assert _enum("ReportIn", "by") == set(services.REPORTED_BY)
    assert _enum("ReportIn", "mode") == {"", *taxonomy.REPORT_MODES}
    assert _enum("PartyIn", "role") == set(Party.Role.values)
    assert _enum("PartyPatch", "role") == {*Party.Role.values, None}
    assert _enum("PartyIn", "relationship") == {"", *Party.Relationship.values}
    assert _enum("CaseIn", "profile") == set(regions.PROFILES)
    assert _enum("ProceedingIn", "kind") == set(Proceeding.Kind.values)
    assert _enum("ProceedingPatch", "status") == {*Proceeding.Status.values, None}
    assert _enum("ProceedingPatch", "outcome") == {*Proceeding.Outcome.values, None}
    assert _enum("ProceedingPatch", "sentence_penalty") == {"", *taxonomy.PENALTIES, None}
    assert _enum("ReferralIn", "need") == set(referral_rules.NEEDS)
    assert set(_component("ReferralIn")["categories"]["items"]["enum"]) == set(
        consent_rules.CATEGORIES)
    assert _enum("BundleIn", "language") == {"ru", "kk", "en"}
    assert _enum("PersonIn", "access") == {"write", "read"}
    directory = risk.instruments_dir()
    assert _enum("AssessmentIn", "instrument") == set(instruments.available(directory))
    assert {lv.id for iid in instruments.available(directory)
            for lv in instruments.cached(iid, str(directory)).levels} <= _enum(
        "AssessmentIn", "judgement")


def _pattern(name: str, field: str) -> re.Pattern[str]:
    return re.compile(_component(name)[field]["pattern"])


# Text the server takes for blank (Python's whitespace, the bidi controls it removes from
# names) and text it keeps.
BLANK = [" ", "\t\n", "\x1c\x1f", "\x85\u00a0\u2003\u3000"]
BIDI_ONLY = ["\u200e", " \u202e\u2066 ", "\u200f\u2069"]
TEXT = ["Әйгерім", "x", " Seitkali ", "\u202eAli", "0"]


def test_a_name_must_have_something_left_once_the_server_trims_it(api_as, case, alice):
    name = _pattern("PartyIn", "full_name")
    api = api_as(alice)
    for value in [*BLANK, *BIDI_ONLY]:
        assert not name.search(value), repr(value)
        response = api.post(f"cases/{case.reference}/parties",
                            {"role": "witness", "full_name": value})
        assert response.status_code == 422, (value, response.content)
        assert response.json()["field"] == "full_name"
    for value in TEXT:
        assert name.search(value), repr(value)
        response = api.post(f"cases/{case.reference}/parties",
                            {"role": "witness", "full_name": value})
        assert response.status_code == 201, (value, response.content)
    survivor = _pattern("CaseIn", "survivor_name")
    for value in ["", *BLANK, *TEXT]:
        assert survivor.search(value), repr(value)
    for value in BIDI_ONLY:
        assert not survivor.search(value), repr(value)


def test_a_court_must_be_named(api_as, case, alice):
    court = _pattern("ProceedingIn", "court")
    api = api_as(alice)
    for value in BLANK:
        assert not court.search(value), repr(value)
        response = api.post(f"cases/{case.reference}/proceedings",
                            {"kind": "criminal_respondent", "court": value})
        assert response.status_code == 422, (value, response.content)
    assert court.search("Uralsk City Court")
    assert _pattern("ChargeIn", "text").pattern == court.pattern
    assert _pattern("CorrectionIn", "reason").pattern == court.pattern


def test_every_region_the_server_takes_fits_the_pattern():
    region = _pattern("CaseIn", "region")
    codes = [*regions.all_codes(), *regions.LEGACY_KZ, *regions.FORMER_ISO_KZ]
    assert len(codes) > 1000
    for code in codes:
        assert regions.is_region(code)
        for spelling in (code, code.lower(), f" {code} "):
            assert region.search(spelling), spelling
    assert not region.search("Kazakhstan")


def test_the_examples_are_accepted(api_as, alice, org):
    api = api_as(alice)
    region = _component("CaseIn")["region"]["examples"][0]
    assert api.post("cases", {"region": region}).status_code == 201
    assert _component("ImportIn")["document"]["examples"] == [MINIMAL_CASE_FILE]
    first = api.post("casefile", {"document": MINIMAL_CASE_FILE})
    assert first.status_code == 201, first.content
    again = api.post("casefile", {"document": MINIMAL_CASE_FILE})
    assert again.status_code == 409
    assert again.json()["code"] == "already_imported"


def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, methods in openapi()["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method, path, operation)
    return found


def test_every_link_names_an_operation_and_its_parameters():
    operations = _operations()
    links = [(path, name, link) for _method, path, operation in operations.values()
             for response in operation["responses"].values()
             for name, link in response.get("links", {}).items()]
    assert len(links) >= 15
    for path, name, link in links:
        _target_method, target_path, target = operations[link["operationId"]]
        taken = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == taken, (path, name)
        for expression in link["parameters"].values():
            assert expression.startswith(("$response.body#/", "$request.path.")), expression


@pytest.mark.parametrize(("create", "body", "follow"), [
    ("proceedings", {"kind": "criminal_respondent", "court": "Uralsk City Court"},
     ("patch", "proceedings/{proceeding_id}", {"judge": "A. Judge"})),
    ("parties", {"role": "witness", "full_name": "Neighbour"},
     ("patch", "parties/{party_id}", {"phone": "+7 700 000 0000"})),
])
def test_a_link_leads_to_the_record_the_answer_made(api_as, case, alice, create, body,
                                                     follow):
    api = api_as(alice)
    path = f"/api/v1/cases/{{ref}}/{create}"
    made = api.post(f"cases/{case.reference}/{create}", body)
    assert made.status_code == 201, made.content
    method, target, change = follow
    links = openapi()["paths"][path]["post"]["responses"]["201"]["links"]
    (link,) = [link for link in links.values()
               if _operations()[link["operationId"]][1].endswith(target)]
    values = {name: (case.reference if expression == "$request.path.ref" else
                     made.json()[expression.removeprefix("$response.body#/")])
              for name, expression in link["parameters"].items()}
    url = "cases/{ref}/" + target
    followed = getattr(api, method)(url.format(**values), change)
    assert followed.status_code == 200, followed.content
