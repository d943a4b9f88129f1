"""One fact, however it is entered (issue 23): "reported to the police / prosecutor / court"
on an incident or a breach writes the report event the rules need, and a typed order type is
stored as the id of the profile's order type it names. Service level, and the page form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from qorgau.cases import order_types, services
from qorgau.cases.models import Event, EventLink, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event

KZ_ORDERS = [{"id": "kz.protective_order", "title": {
    "en": "Police protective order", "ru": "Защитное предписание", "kk": "Қорғау нұсқамасы"}}]


def _input(kind: str, start: str, **extra: object) -> services.EventInput:
    return services.EventInput(kind=kind, span=services.parse_span(start), source="survivor",
                               reliability="probable", **extra)  # type: ignore[arg-type]


def _duties(case, rule_id: str) -> list[str]:
    return list(case.obligations.filter(rule_id=rule_id).values_list("status", flat=True))


# --- the pure matching ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "защитное предписание", "Защитное  предписание.", "ЗАЩИТНОЕ ПРЕДПИСАНИЕ",
    "Қорғау нұсқамасы", "қорғау нұсқамасы", "police protective order",
    "Police-protective order", "kz.protective_order", " KZ protective order "])
def test_typed_order_types_name_the_profiles_id(typed):
    assert order_types.match(typed, KZ_ORDERS) == "kz.protective_order"
    assert order_types.canonical(typed, KZ_ORDERS) == "kz.protective_order"


@pytest.mark.parametrize("typed", ["", "  ", "court order", "предписание", "protective"])
def test_other_text_is_kept_as_typed(typed):
    assert order_types.match(typed, KZ_ORDERS) is None
    assert order_types.canonical(typed, KZ_ORDERS) == typed.strip()


def test_titles_for_a_select():
    assert order_types.choices(KZ_ORDERS, "ru") == [("kz.protective_order",
                                                     "Защитное предписание")]
    assert order_types.choices(KZ_ORDERS, "kk")[0][1] == "Қорғау нұсқамасы"
    assert order_types.choices(KZ_ORDERS, "en-gb")[0][1] == "Police protective order"
    assert order_types.choices(KZ_ORDERS, "de")[0][1] == "Police protective order"


# --- reported with the breach ----------------------------------------------------------------


def test_a_reported_breach_writes_the_report_and_yields_the_police_duty(case, alice):
    order = make_event(case, alice, "order_issued", "2025-03-01", institution="police")
    before = LedgerEntry.objects.filter(case=case).count()
    breach = services.record_event(case, alice, _input(
        "order_breached", "2025-03-10", links=[(order, "breach_of")],
        report=services.ReportInput(to="police", mode="oral")))
    report = Event.objects.get(case=case, number=breach.number + 1)
    assert (report.kind, report.institution, report.attributes) == (
        "police_report", "police", {"mode": "oral"})
    assert report.when_start == "2025-03-10"  # the breach's own day
    assert (report.source, report.reliability) == ("survivor", "probable")
    assert report.narrative == "Reported by the survivor."
    link = EventLink.objects.get(source=report)
    assert (link.target, link.kind) == (breach, "reports")
    # Each with its own entry, in one write; the chain verifies.
    entries = list(LedgerEntry.objects.filter(case=case, seq__gt=before)
                   .filter(action="event.create").values_list("subject", flat=True))
    assert len(entries) == 2
    assert verify_case(case.pk, case.reference).problem is None
    assert _duties(case, "kz.breach-response") == ["breached"]


@pytest.mark.parametrize(("to", "kind"), [("police", "police_report"),
                                          ("prosecutor", "report_prosecutor"),
                                          ("court", "court_application")])
def test_an_incident_reported_to_each_institution(case, alice, to, kind):
    services.record_event(case, alice, _input(
        "strangulation", "2025-02-01",
        report=services.ReportInput(to=to, span=services.parse_span("2025-02-03"),
                                    by="organisation")))
    report = case.events.get(kind=kind)
    assert report.institution == to and report.when_start == "2025-02-03"
    assert report.source == "staff" and report.attributes == {}
    assert report.links_out.get().target.kind == "strangulation"


def test_reported_by_a_third_party_says_so(case, alice):
    services.record_event(case, alice, _input(
        "physical_assault", "2025-02-01",
        report=services.ReportInput(to="police", by="third_party")))
    assert case.events.get(kind="police_report").attributes == {"mode": "third_party"}


@pytest.mark.parametrize(("kind", "report", "message"), [
    ("hearing", services.ReportInput(to="police"), "Only an incident of abuse"),
    ("police_report", services.ReportInput(to="police"), "Only an incident of abuse"),
    ("physical_assault", services.ReportInput(to="neighbours"), "Choose to whom"),
    ("physical_assault", services.ReportInput(to="police", mode="carrier pigeon"),
     "Choose how it was reported"),
    ("physical_assault", services.ReportInput(to="police", by="nobody"), "Choose who"),
    ("physical_assault", services.ReportInput(to="police",
                                              span=services.parse_span("2024-12-31")),
     "cannot be earlier"),
])
def test_a_report_that_makes_no_sense_is_refused_and_nothing_written(case, alice, kind,
                                                                     report, message):
    entries = LedgerEntry.objects.filter(case=case).count()
    with pytest.raises(ValidationError) as caught:
        services.record_event(case, alice, _input(kind, "2025-01-05", report=report))
    assert message in " ".join(caught.value.message_dict["report"])
    assert not case.events.exists()
    assert LedgerEntry.objects.filter(case=case).count() == entries


# --- order types from the profile's list ---------------------------------------------------


@pytest.mark.parametrize("typed", ["защитное предписание", "Қорғау нұсқамасы",
                                   "Police protective order"])
def test_a_typed_order_type_yields_the_renewal_duty(case, alice, typed):
    order = services.record_event(case, alice, _input(
        "order_issued", "2025-03-01", institution="police",
        attributes={"order_type": typed}))
    assert order.attributes["order_type"] == "kz.protective_order"
    order.refresh_from_db()
    assert order.attributes["order_type"] == "kz.protective_order"
    assert _duties(case, "kz.order-renewal")


def test_an_unlisted_order_type_is_kept_as_typed(case, alice):
    order = services.record_event(case, alice, _input(
        "order_issued", "2025-03-01", attributes={"order_type": "  court restraining order"}))
    order.refresh_from_db()
    assert order.attributes["order_type"] == "court restraining order"
    assert not _duties(case, "kz.order-renewal")


# --- the page --------------------------------------------------------------------------------


def _post(client, case, **fields):
    data = {"kind": "order_breached", "when_start": "2025-03-10", "qualifier": "none",
            "recurrence": "once", "source": "survivor", "reliability": "probable",
            "report_by": "survivor", **fields}
    return client.post(reverse("cases:event_new", args=[case.reference]), data)


def test_the_form_records_the_report_with_the_breach(client, case, alice):
    order = make_event(case, alice, "order_issued", "2025-03-01")
    client.force_login(alice)
    page = client.get(reverse("cases:event_new", args=[case.reference])).content.decode()
    assert 'name="report_to"' in page and "Reported to the police" in page
    assert '<option value="kz.protective_order">Police protective order</option>' in page
    response = _post(client, case, link_target_0=str(order.pk), link_kind_0="breach_of",
                     report_to="police", report_mode="oral")
    assert response.status_code == 302
    report = case.events.get(kind="police_report")
    assert report.attributes == {"mode": "oral"}
    assert report.links_out.get().target.kind == "order_breached"
    assert _duties(case, "kz.breach-response") == ["breached"]


def test_the_form_refuses_a_report_on_another_kind(client, case, alice):
    client.force_login(alice)
    response = _post(client, case, kind="hearing", report_to="police")
    assert response.status_code == 200
    assert "Only an incident of abuse" in response.content.decode()
    response = _post(client, case, report_mode="oral")
    assert "Choose to whom it was reported." in response.content.decode()
    assert not case.events.exists()


@pytest.mark.parametrize(("fields", "stored"), [
    ({"order_type_choice": "kz.protective_order"}, "kz.protective_order"),
    ({"order_type_choice": "other", "order_type": "Защитное предписание"},
     "kz.protective_order"),
    ({"order_type": "Қорғау нұсқамасы"}, "kz.protective_order"),
    ({"order_type_choice": "other", "order_type": "Court order"}, "Court order"),
])
def test_the_form_offers_the_profiles_order_types(client, case, alice, fields, stored):
    client.force_login(alice)
    response = _post(client, case, kind="order_issued", **fields)
    assert response.status_code == 302
    assert case.events.get().attributes["order_type"] == stored


def test_other_order_type_needs_the_text(client, case, alice):
    client.force_login(alice)
    response = _post(client, case, kind="order_issued", order_type_choice="other")
    assert "Type the order type" in response.content.decode()


def test_a_correction_shows_the_chosen_order_type(client, case, alice):
    order = services.record_event(case, alice, _input(
        "order_issued", "2025-03-01", attributes={"order_type": "kz.protective_order"}))
    client.force_login(alice)
    page = client.get(reverse("cases:event_correct", args=[case.reference, order.number]))
    html = page.content.decode()
    assert '<option value="kz.protective_order" selected>' in html


# --- the case file ---------------------------------------------------------------------------


def _file(*events: dict) -> dict:
    from qorgau.cases import casefile

    return {"format": casefile.FORMAT, "version": casefile.VERSION,
            "case": {"region": "kz-west", "profile": "kz"}, "parties": [],
            "events": list(events)}


ORDER_ITEM = {"number": 1, "kind": "order_issued", "when": {"start": "2025-03-01"},
              "source": "document", "reliability": "confirmed", "institution": "police",
              "attributes": {"order_type": "Защитное предписание"}}
BREACH_ITEM = {"number": 2, "kind": "order_breached", "when": {"start": "2025-03-10"},
               "source": "survivor", "reliability": "probable",
               "links": [{"target": 1, "kind": "breach_of"}],
               "report": {"to": "police", "mode": "oral"}}


def test_a_case_file_carries_the_report_and_the_typed_order_type(org, alice):
    from qorgau.cases import casefile

    later = {"number": 3, "kind": "breach_response", "when": {"start": "2025-03-20"},
             "source": "official_record", "reliability": "confirmed",
             "institution": "police", "attributes": {"response": "warning"},
             "links": [{"target": 2, "kind": "responds_to"}]}
    case = casefile.import_case(_file(ORDER_ITEM, BREACH_ITEM, later), org, alice)
    kinds = list(case.events.order_by("number").values_list("kind", flat=True))
    assert kinds == ["order_issued", "order_breached", "police_report", "breach_response"]
    report = case.events.get(kind="police_report")
    assert report.links_out.get().target.number == 2
    # File numbers still name the file's events: the response answers the breach.
    assert case.events.get(kind="breach_response").links_out.get().target.number == 2
    assert case.events.get(kind="order_issued").attributes == {
        "order_type": "kz.protective_order"}
    assert _duties(case, "kz.breach-response") == ["breached"]
    assert _duties(case, "kz.order-renewal")
    assert verify_case(case.pk, case.reference).problem is None


def test_a_case_file_report_that_makes_no_sense_is_refused(org, alice):
    from qorgau.cases import casefile
    from qorgau.cases.models import Case

    wrong = {**ORDER_ITEM, "report": {"to": "police"}}
    with pytest.raises(casefile.CaseFileError) as caught:
        casefile.import_case(_file(wrong), org, alice)
    assert "$.events[0].report" in str(caught.value)
    assert "Only an incident of abuse" in str(caught.value)
    early = {**BREACH_ITEM, "links": [], "number": 1,
             "report": {"to": "police", "when": {"start": "2025-02-30"}}}
    with pytest.raises(casefile.CaseFileError) as caught:
        casefile.import_case(_file(early), org, alice)
    assert "$.events[0].report" in str(caught.value)
    assert not Case.objects.exists()

