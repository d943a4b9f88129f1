"""One fact, however it is entered (issue 23), through the API: `report` on an incident or a
breach records the report event the rules need; a typed order type is stored as the id of
the profile's order type it names."""

from __future__ import annotations

import pytest

from qorgau.cases.models import Event, LedgerEntry

BREACH = {"kind": "order_breached", "when": {"start": "2025-03-10"}, "source": "survivor",
          "reliability": "probable"}


def _duties(case, rule_id):
    return list(case.obligations.filter(rule_id=rule_id).values_list("status", flat=True))


def test_a_reported_breach_yields_the_police_duty(api_as, case, alice):
    api = api_as(alice)
    url = f"cases/{case.reference}/events"
    order = api.post(url, {"kind": "order_issued", "when": {"start": "2025-03-01"},
                           "source": "document", "reliability": "confirmed",
                           "institution": "police"}).json()
    breach = api.post(url, {**BREACH, "links": [{"event": order["number"],
                                                 "kind": "breach_of"}],
                            "report": {"to": "police", "mode": "oral"}})
    assert breach.status_code == 201
    assert breach.json()["number"] == 2 and breach.json()["kind"] == "order_breached"
    report = api.get(f"{url}/3").json()  # on the timeline, as an event of its own
    assert report["kind"] == "police_report" and report["institution"] == "police"
    assert report["attributes"] == {"mode": "oral"}
    assert report["links"] == [{"event": 2, "kind": "reports"}]
    assert report["when"]["start"] == "2025-03-10"
    obligations = api.get(f"cases/{case.reference}/obligations",
                          {"status": "breached"}).json()
    duty = next(o for o in obligations if o["rule_id"] == "kz.breach-response")
    assert duty["trigger"] == 3


def test_report_with_its_own_date_and_reporter(api_as, case, alice):
    api = api_as(alice)
    response = api.post(f"cases/{case.reference}/events", {
        "kind": "threat_to_kill", "when": {"start": "2025-02-01"}, "source": "survivor",
        "reliability": "probable",
        "report": {"to": "prosecutor", "when": {"start": "2025-02-04"}, "mode": "written",
                   "by": "organisation"}})
    assert response.status_code == 201
    report = Event.objects.get(case=case, kind="report_prosecutor")
    assert (report.when_start, report.source, report.institution) == (
        "2025-02-04", "staff", "prosecutor")


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({**BREACH, "kind": "hearing", "report": {"to": "police"}}, "report", "Only an incident"),
    ({**BREACH, "report": {"to": "the neighbours"}}, "report", "Choose to whom"),
    ({**BREACH, "report": {"to": "police", "mode": "telepathy"}}, "report", "Choose how"),
    ({**BREACH, "report": {"to": "police", "when": {"start": "2025-02-30"}}}, "report", ""),
    ({**BREACH, "report": {"to": "police", "when": {"start": "2025-03-01"}}}, "report",
     "cannot be earlier"),
    ({**BREACH, "report": {"to": "police", "colour": "red"}}, "report.colour", ""),
])
def test_a_report_that_makes_no_sense_is_refused(api_as, case, alice, payload, field, words):
    before = LedgerEntry.objects.filter(case=case).count()
    response = api_as(alice).post(f"cases/{case.reference}/events", payload)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field and words in body["message"]
    assert not Event.objects.filter(case=case).exists()
    assert LedgerEntry.objects.filter(case=case).count() == before


@pytest.mark.parametrize("typed", ["Защитное предписание", "қорғау нұсқамасы",
                                   "Police protective order"])
def test_a_typed_order_type_yields_the_renewal_duty(api_as, case, alice, typed):
    api = api_as(alice)
    order = api.post(f"cases/{case.reference}/events", {
        "kind": "order_issued", "when": {"start": "2025-03-01"}, "source": "document",
        "reliability": "confirmed", "institution": "police",
        "attributes": {"order_type": typed}})
    assert order.status_code == 201
    assert order.json()["attributes"]["order_type"] == "kz.protective_order"
    assert _duties(case, "kz.order-renewal")
