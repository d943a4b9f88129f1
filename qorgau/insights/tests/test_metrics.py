"""Each metric on hand-built cases with known answers, kept in step on write."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from qorgau.cases import services
from qorgau.cases.models import Case
from qorgau.conftest import make_event
from qorgau.demo import reference_case
from qorgau.demo.loader import load_demo
from qorgau.insights import metrics, publication
from qorgau.insights.models import CaseFact, MetricCount
from qorgau.insights.services import refresh_case
from qorgau.proceedings import services as proceedings
from qorgau.risk import services as risk

TODAY = date(2024, 12, 31)


def counts(org, metric, **filters):
    rows = MetricCount.objects.filter(organisation=org, metric=metric, **filters)
    return {(r.region, r.period, r.key): r.count for r in rows if r.count}


def link(event, target, kind="breach_of"):
    from qorgau.cases.models import EventLink
    EventLink.objects.create(source=event, target=target, kind=kind)


@pytest.fixture
def frozen():
    with time_machine.travel("2024-12-31 12:00 +05:00", tick=False):
        yield


def _breach(case, by, day, responded=None):
    """A reported breach (the report linked to the breach) and, maybe, the response."""
    breach = make_event(case, by, kind="order_breached", start=day)
    report = make_event(case, by, kind="police_report", start=day,
                        links=[(breach, "related_to")])
    if responded:
        make_event(case, by, kind="breach_response", start=responded,
                   institution="police", attributes={"response": "protocol"},
                   links=[(report, "responds_to")])
    return report


def test_orders_breaches_and_responses_count_per_quarter(frozen, org, alice, case):
    make_event(case, alice, kind="order_issued", start="2024-02-01")
    make_event(case, alice, kind="order_issued", start="2024-05-01")
    _breach(case, alice, "2024-02-10", responded="2024-02-11")   # within 3 days
    _breach(case, alice, "2024-02-20", responded="2024-03-10")   # late
    _breach(case, alice, "2024-08-01")                            # never answered
    assert counts(org, "orders_issued") == {
        ("KZ-27", "2024-Q1", "all"): 1, ("KZ-27", "2024-Q2", "all"): 1}
    assert counts(org, "breaches_reported") == {
        ("KZ-27", "2024-Q1", "all"): 2, ("KZ-27", "2024-Q3", "all"): 1}
    assert counts(org, "breach_response") == {
        ("KZ-27", "2024-Q1", "on_time"): 1, ("KZ-27", "2024-Q1", "late"): 1,
        ("KZ-27", "2024-Q3", "none"): 1}
    assert counts(org, "response_days", key="1") == {("KZ-27", "2024-Q1", "1"): 1}
    assert counts(org, "response_days", key="15-30") == {("KZ-27", "2024-Q1", "15-30"): 1}
    assert counts(org, "cases_breach_unanswered") == {("KZ-27", "2024-Q3", "all"): 1}


def test_reports_followed_by_a_referral(frozen, org, alice, case):
    first = make_event(case, alice, kind="police_report", start="2024-04-02")
    make_event(case, alice, kind="referral_made", start="2024-04-03", institution="police",
               links=[(first, "responds_to")])
    make_event(case, alice, kind="police_report", start="2024-07-09")  # no referral
    result = counts(org, "report_referral")
    assert result[("KZ-27", "2024-Q2", "on_time")] == 1
    assert result[("KZ-27", "2024-Q3", "none")] == 1
    assert counts(org, "cases_report_no_referral") == {("KZ-27", "2024-Q3", "all"): 1}


def test_obligations_by_bearer_and_rule(frozen, org, alice, case):
    make_event(case, alice, kind="police_report", start="2024-10-01")
    by_bearer = counts(org, "obligations_by_bearer")
    assert by_bearer[("KZ-27", "2024-Q4", "police.breached")] >= 2  # action, referral
    by_rule = counts(org, "breaches_by_rule")
    # she did not ask to be referred: the baseline's referral duty (CEDAW), not 214-IV's
    assert by_rule[("KZ-27", "2024-Q4", "intl.referral")] == 1


def test_gbvims_types_and_restricted_kinds(frozen, org, alice, case):
    make_event(case, alice, kind="strangulation", start="2024-03-03")
    make_event(case, alice, kind="economic_abuse", start="2024-03-04")
    make_event(case, alice, kind="sexual_violence", start="2024-11-04")
    make_event(case, alice, kind="self_harm", start="2024-11-05")  # restricted: never counted
    assert counts(org, "gbvims") == {
        ("KZ-27", "2024-Q1", "physical_assault"): 1,
        ("KZ-27", "2024-Q1", "denial_of_resources"): 1,
        ("KZ-27", "2024-Q4", "sexual_assault"): 1}


def test_risk_level_at_the_first_assessment(frozen, org, alice, case):
    make_event(case, alice, kind="strangulation", start="2024-03-03")
    confirmed = {item: risk.AnswerInput("yes", "confirmed") for item in
                 risk.suggestions(case, risk.instrument("qorgau-open"), True)}
    risk.record_assessment(case, alice, "qorgau-open", confirmed, sees_restricted=True)
    risk.record_assessment(case, alice, "qorgau-open", confirmed, sees_restricted=True)
    assert counts(org, "risk_at_intake") == {("KZ-27", "2024-Q4", "high"): 1}


def test_survivor_prosecuted_after_an_unenforced_order(frozen, org, alice, case):
    _breach(case, alice, "2024-01-10")  # never answered: due 13 Jan
    proceedings.open_proceeding(case, alice, kind="criminal_survivor", court="Uralsk court")
    arrest = make_event(case, alice, kind="arrest", start="2024-02-26")
    assert arrest
    refresh_case(Case.objects.get(pk=case.pk))
    assert counts(org, "prosecuted_after_unenforced") == {("KZ-27", "2024-Q1", "all"): 1}


def test_a_correction_moves_the_count_and_totals_stay_consistent(frozen, org, alice, case):
    event = make_event(case, alice, kind="order_issued", start="2024-02-01")
    data = services.event_input_from(event)
    data.span = services.parse_span("2024-08-01")
    services.correct_event(event, alice, data, "Wrong date")
    assert counts(org, "orders_issued") == {("KZ-27", "2024-Q3", "all"): 1}
    facts = sum(f.count for f in CaseFact.objects.filter(case=case))
    assert facts == sum(MetricCount.objects.filter(organisation=org)
                        .values_list("count", flat=True))


def test_two_organisations_are_counted_apart(frozen, org, other_org, alice, frank, case):
    theirs = services.create_case(other_org, frank, region="KZ-75")
    make_event(theirs, frank, kind="order_issued", start="2024-02-01")
    make_event(case, alice, kind="order_issued", start="2024-02-01")
    assert counts(org, "orders_issued") == {("KZ-27", "2024-Q1", "all"): 1}
    assert counts(other_org, "orders_issued") == {("KZ-75", "2024-Q1", "all"): 1}


def test_the_reference_case_counts_where_the_reference_says(db):
    """Once in "orders breached without police response" and once in "reports with no
    referral", for West Kazakhstan (reference-case.md)."""
    load_demo()
    demo = Case.objects.get(reference=reference_case.REFERENCE)
    facts = {(f.metric, f.key): f.count for f in CaseFact.objects.filter(case=demo)}
    assert facts[("cases_breach_unanswered", "all")] == 1
    assert facts[("cases_report_no_referral", "all")] == 1
    assert demo.region == "KZ-27"
    assert facts[("prosecuted_after_unenforced", "all")] == 1
    rows = MetricCount.objects.filter(organisation=demo.organisation,
                                      metric="cases_breach_unanswered", region="KZ-27")
    assert sum(r.count for r in rows) >= 1


def test_the_monitor_sees_the_reference_region_suppressed(db):
    load_demo()
    demo = Case.objects.get(reference=reference_case.REFERENCE)
    scope = publication.Scope((demo.organisation_id,), suppressed=True)
    cube = publication.cube(scope, "cases_breach_unanswered", "kz", 2024)
    exact = publication.cube(publication.Scope((demo.organisation_id,), False),
                             "cases_breach_unanswered", "kz", 2024)
    value = exact.get("KZ-27", "*", "all")
    assert value is not None and value >= 1
    if value < publication.threshold():
        assert cube.get("KZ-27", "*", "all") is None
    else:
        assert cube.get("KZ-27", "*", "all") == value


def test_percentile_from_the_histogram():
    histogram = {"0": 1, "1": 1, "3": 1, "15-30": 2}
    assert metrics.percentile(histogram, 0.5) == "3"
    assert metrics.percentile(histogram, 0.9) == "15-30"
    assert metrics.percentile({}, 0.5) is None


def test_the_calendar_turns_a_pending_duty_into_no_response(org, alice, case):
    """Written on 2 Jan, the police's 7 days for a referral run out on 9 Jan with nobody
    writing anything: the daily refresh moves the count from pending to no response."""
    import io

    from django.core.management import call_command

    with time_machine.travel("2024-01-02 12:00 +05:00", tick=False):
        make_event(case, alice, kind="police_report", start="2024-01-02")
        assert counts(org, "report_referral") == {("KZ-27", "2024-Q1", "pending"): 1}
    with time_machine.travel("2024-01-20 12:00 +05:00", tick=False):
        out = io.StringIO()
        call_command("refresh-insights", stdout=out)
        assert "1 whose counts changed" in out.getvalue()
        assert counts(org, "report_referral") == {("KZ-27", "2024-Q1", "none"): 1}
        call_command("refresh-insights", "--all", stdout=out)
        assert counts(org, "report_referral") == {("KZ-27", "2024-Q1", "none"): 1}


def test_a_survivors_death_is_counted_once_by_cause(frozen, org, alice, case):
    attack = make_event(case, alice, kind="killing", start="2024-09-20")
    make_event(case, alice, kind="death", start="2024-09-20", attributes={"cause": "killed"},
               links=[(attack, "related_to")])
    make_event(case, alice, kind="death", start="2024-09-21",
               attributes={"cause": "suicide", "subject": "respondent"})  # not hers
    assert counts(org, "survivor_deaths") == {("KZ-27", "2024-Q3", "killed"): 1}
