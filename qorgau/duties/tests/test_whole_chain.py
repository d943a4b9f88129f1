"""The law along the whole chain, as it bound each state (issue 24): older cases get the
duties of the treaties then in force; a Kazakh case never rests on treaties Kazakhstan is not
party to; a recorded refusal breaches at once; a finding breaches what it judged; a case
reconstructed from documents says "no record" instead of "breached"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qorgau.cases.dates import DateSpan
from qorgau.duties import engine, profiles, treaties
from qorgau.duties.engine import BREACHED, MET, NO_RECORD, ON_ABSENCE, ON_RECORD, Context, Fact

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
TODAY = date(2026, 12, 6)


def span(text: str) -> DateSpan:
    return DateSpan.parse(text)


def law(pid: str) -> profiles.Profile:
    return profiles.load(pid, PROFILES)


def context(state: str, **extra: object) -> Context:
    found = treaties.load(PROFILES / "treaties.yaml")
    return Context(binds=lambda i, day: found.binds(state, i, day), **extra)  # type: ignore[arg-type]


def derive(pid: str, facts: list[Fact], ctx: Context | None = None) -> list[engine.Obligation]:
    return engine.derive(law(pid), facts, TODAY, ctx)


def by_rule(found: list[engine.Obligation]) -> dict[str, engine.Obligation]:
    return {o.rule.id: o for o in found}


ASSAULT = Fact(1, "physical_assault", span("1998-03-02"))
REPORT = Fact(2, "police_report", span("1998-03-03"), {"mode": "oral"}, "police", (1,))


def test_a_1998_case_gets_the_duties_of_the_treaties_then_in_force():
    found = by_rule(derive("intl", [ASSAULT, REPORT], context("BG")))
    duty = found["intl.report-action"]
    assert duty.status == BREACHED and duty.grounds == ON_ABSENCE
    # Bulgaria was bound by CEDAW and the ECHR in 1998, not by the Istanbul Convention
    basis = treaties.load(PROFILES / "treaties.yaml").basis_for(
        "BG", date(1998, 3, 3), duty.rule.instruments)
    assert {"cedaw", "echr"} <= set(basis.binding) and "istanbul" in basis.good_practice


def test_no_duty_where_no_treaty_it_rests_on_bound_the_state():
    # before Kazakhstan's accession to CEDAW (1998) nothing of the baseline bound it
    early = [Fact(1, "physical_assault", span("1995-05-01")),
             Fact(2, "police_report", span("1995-05-02"), {}, "police", (1,))]
    assert "intl.report-action" not in by_rule(derive("intl", early, context("KZ")))
    assert "intl.report-action" in by_rule(derive("intl", early))  # no state known: not filtered


@pytest.mark.parametrize("pid", ["kz", "kg"])
def test_a_kazakh_or_kyrgyz_duty_never_rests_on_the_istanbul_convention_or_the_echr(pid):
    state = pid.upper()
    found = treaties.load(PROFILES / "treaties.yaml")
    for rule in law(pid).rules:
        for day in (date(2010, 1, 1), date(2020, 1, 1), date(2026, 6, 1)):
            basis = found.basis_for(state, day, rule.instruments)
            assert not {"istanbul", "echr"} & set(basis.binding), (rule.id, day)
        for text in rule.basis.values():  # the basis text itself never names them
            assert "Istanbul" not in text and "Стамбул" not in text, rule.id
            assert "ECHR" not in text and "ЕКПЧ" not in text, rule.id


@pytest.mark.parametrize("pid", ["intl", "kz", "kg", "ru", "uz"])
def test_a_recorded_refusal_is_flagged_at_once(pid):
    report = Fact(2, "police_report", span("2025-05-01"), {"mode": "oral"}, "police", (1,))
    refusal = Fact(3, "police_refusal", span("2025-05-01"), {"reason": "private_matter"},
                   "police", (2,))
    assault = Fact(1, "physical_assault", span("2025-04-30"))
    found = derive(pid, [assault, report, refusal], Context())
    breached = [o for o in found if o.trigger == 2 and o.status == BREACHED
                and o.reason == "refused"]
    assert breached, [(o.rule.id, o.status) for o in found if o.trigger == 2]
    assert all(o.grounds == ON_RECORD and o.satisfied_by == 3 for o in breached)


def test_no_response_to_a_breach_entered_as_the_response_breaches():
    order = Fact(1, "order_issued", span("2025-01-10"), {"order_type": "kz.protective_order"},
                 "police")
    breach = Fact(2, "order_breached", span("2025-01-20"), {}, "", (1,))
    report = Fact(3, "police_report", span("2025-01-20"), {"mode": "oral"}, "police", (2,))
    none = Fact(4, "breach_response", span("2025-01-21"), {"response": "none"}, "police", (3,))
    found = derive("intl", [order, breach, report, none], Context())
    duty = by_rule(found)["intl.breach-sanction"]
    assert (duty.trigger, duty.status, duty.reason) == (2, BREACHED, "refused")


def test_a_finding_breaches_the_act_it_judged_and_only_its_bearers():
    report = Fact(2, "report_prosecutor", span("2010-03-01"), {"mode": "written"},
                  "prosecutor", (1,))
    opened = Fact(3, "case_opened", span("2010-03-05"), {}, "prosecutor", (2,))
    judgment = Fact(4, "international_judgment", span("2015-01-01"),
                    {"body": "ecthr", "violation": True, "concerns": ["prosecutor"]}, "other",
                    (2,))
    found = derive("intl", [Fact(1, "physical_assault", span("2010-02-28")), report, opened,
                            judgment], Context())
    on_report = {o.rule.id: o for o in found if o.trigger == 2}
    # the prosecutor's duties on the report: met by the opened case, yet found unlawful
    assert on_report["intl.report-action"].status == BREACHED
    assert on_report["intl.report-action"].reason == "found_unlawful"
    assert on_report["intl.report-action"].bearer == "prosecutor"


def test_a_monitoring_case_says_no_record_instead_of_breached():
    facts = [ASSAULT, REPORT]
    casework = by_rule(derive("intl", facts, Context()))
    monitoring = by_rule(derive("intl", facts, Context(monitoring=True)))
    assert casework["intl.report-action"].status == BREACHED
    assert monitoring["intl.report-action"].status == NO_RECORD
    assert "no record" in monitoring["intl.report-action"].explain().lower()
    # a recorded refusal is a record: still breached on a monitoring case
    refusal = Fact(3, "police_refusal", span("1998-03-03"), {}, "police", (2,))
    refused = by_rule(derive("intl", [*facts, refusal], Context(monitoring=True)))
    assert refused["intl.report-action"].status == BREACHED


def test_a_standing_gap_in_the_law_is_the_legislatures():
    gap = Fact(5, "law_gap", DateSpan.parse("1999", "2006"), {"gap": "no_protection_orders"})
    duty = by_rule(derive("intl", [gap], context("GE")))["intl.framework-gap"]
    assert (duty.status, duty.bearer, duty.reason) == (BREACHED, "legislature", "framework_gap")


def test_an_undecided_protection_request_is_breached_after_a_reasonable_time():
    request = Fact(1, "order_requested", span("2025-01-10"), {}, "court")
    duty = by_rule(derive("intl", [request], Context()))["intl.order-decision"]
    assert (duty.status, duty.reason, duty.bearer) == (BREACHED, "unreasonable", "court")
    decided = Fact(2, "order_issued", span("2025-01-20"), {}, "court", (1,))
    assert by_rule(derive("intl", [request, decided], Context()))[
        "intl.order-decision"].status == MET


def test_the_organisations_duties_end_with_the_survivors_death():
    order = Fact(1, "order_issued", span("2025-01-10"), {"order_type": "kz.protective_order"},
                 "police")
    death = Fact(2, "death", span("2025-01-15"), {"cause": "killed"})
    alive = by_rule(derive("kz", [order], Context()))
    dead = by_rule(derive("kz", [order, death], Context(died=date(2025, 1, 15))))
    assert alive["kz.order-renewal"].status == BREACHED
    assert dead["kz.order-renewal"].status == engine.NOT_APPLICABLE
    assert dead["kz.order-renewal"].reason == "deceased"
