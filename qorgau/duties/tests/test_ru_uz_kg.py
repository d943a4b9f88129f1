"""The kg, ru and uz profiles: each loads; a recorded refusal breaches the report duty at once;
Russia's gaps in the law stand on every case; a decision within 3 days meets ru's duty."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qorgau.cases.dates import DateSpan
from qorgau.duties import engine, profiles
from qorgau.duties.engine import BREACHED, MET, PENDING, Fact

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
LANGS = ("en", "ru", "kk")

# The report duty of each profile, and the day on which a version of it is in force.
REPORT_RULE = {"kg": "kg.report-action", "ru": "ru.report-decision.2019",
               "uz": "uz.report-action"}


def day(text: str) -> DateSpan:
    return DateSpan.parse(text)


def statuses(pid: str, facts: list[Fact], today: date) -> dict[str, str]:
    profile = profiles.load(pid, PROFILES)
    return {o.rule.id: o.status for o in engine.derive(profile, facts, today)}


REPORT = Fact(1, "police_report", day("2024-05-01"), {"mode": "written"}, "police")


@pytest.mark.parametrize("pid", ["kg", "ru", "uz"])
def test_the_profile_loads_with_every_text_in_three_languages(pid):
    profile = profiles.load(pid, PROFILES)
    assert profile.id == pid
    own = [r for r in profile.rules if r.profile == pid]
    assert own
    for rule in own:
        assert all(rule.title[lang] for lang in LANGS), rule.id
        assert rule.source in profile.sources, rule.id
        if not rule.confirmed:
            assert rule.unconfirmed and all(rule.unconfirmed[lang] for lang in LANGS), rule.id
        else:  # a confirmed rule rests on a check that confirms it
            assert any(c.result == "confirmed" and c.quote for c in rule.checks), rule.id


@pytest.mark.parametrize("pid", ["kg", "ru", "uz"])
def test_the_national_report_duty_replaces_the_baseline(pid):
    ids = {r.id for r in profiles.load(pid, PROFILES).rules}
    assert REPORT_RULE[pid] in ids
    assert "intl.report-action" not in ids


@pytest.mark.parametrize("pid", ["kg", "ru", "uz"])
@pytest.mark.parametrize("refusal", [
    Fact(2, "police_refusal", day("2024-05-01"), {"reason": "private_matter"}, "police", (1,)),
    Fact(2, "authority_no_response", day("2024-05-01"), {"reason": "no_reason"}, "police",
         (1,)),
    Fact(2, "breach_response", day("2024-05-01"), {"response": "none"}, "police", (1,)),
], ids=["police_refusal", "authority_no_response", "breach_response_none"])
def test_a_linked_refusal_breaches_the_report_duty_at_once(pid, refusal):
    found = statuses(pid, [REPORT, refusal], date(2024, 5, 1))  # the day of the report
    assert found[REPORT_RULE[pid]] == BREACHED


@pytest.mark.parametrize("pid", ["kg", "ru", "uz"])
def test_an_unlinked_refusal_does_not_breach_before_the_deadline(pid):
    other = Fact(2, "police_refusal", day("2024-05-01"), {"reason": "private_matter"}, "police")
    assert statuses(pid, [REPORT, other], date(2024, 5, 1))[REPORT_RULE[pid]] == PENDING


RU_TABLE = [  # (name, facts, today, status)
    ("decided on day 2", [REPORT, Fact(2, "case_opened", day("2024-05-03"), {}, "police",
                                       (1,))], date(2024, 6, 1), MET),
    ("refusal to open a case is a decision",
     [REPORT, Fact(2, "case_refused", day("2024-05-02"), {"reason": "no_offence"}, "police",
                   (1,))], date(2024, 6, 1), MET),
    ("3 days not yet over", [REPORT], date(2024, 5, 4), PENDING),
    ("3 days over", [REPORT], date(2024, 5, 5), BREACHED),
    ("an unlinked decision does not count",
     [REPORT, Fact(2, "case_opened", day("2024-05-02"), {}, "police")], date(2024, 5, 5),
     BREACHED),
]


@pytest.mark.parametrize(("facts", "today", "status"), [row[1:] for row in RU_TABLE],
                         ids=[row[0] for row in RU_TABLE])
def test_ru_decision_within_3_days(facts, today, status):
    assert statuses("ru", facts, today)["ru.report-decision.2019"] == status


def test_ru_a_report_before_april_2019_falls_under_the_earlier_unconfirmed_version():
    old = Fact(1, "police_report", day("2015-03-01"), {}, "police")
    found = statuses("ru", [old], date(2015, 3, 2))
    assert found["ru.report-decision.2002"] == PENDING
    assert "ru.report-decision.2019" not in found
    ru = profiles.load("ru", PROFILES)
    assert not ru.rule("ru.report-decision.2002").confirmed
    assert ru.rule("ru.report-decision.2019").confirmed


def test_ru_the_gaps_in_the_law_stand_on_a_case():
    assault = Fact(1, "physical_assault", day("2024-03-10"), {}, "")
    threat = Fact(2, "threat_to_kill", day("2024-04-01"), {}, "")
    profile = profiles.load("ru", PROFILES)
    found = [o for o in engine.derive(profile, [assault, threat], date(2024, 3, 10))
             if o.rule.id in ("ru.framework-gap", "ru.no-dv-offence")]
    assert {(o.rule.id, o.trigger, o.status) for o in found} == {
        ("ru.framework-gap", 1, BREACHED), ("ru.no-dv-offence", 1, BREACHED)}
    assert all(o.bearer == "legislature" for o in found)


def test_ru_no_offence_gap_only_from_2017():
    assault = Fact(1, "physical_assault", day("2016-06-01"), {}, "")
    found = statuses("ru", [assault], date(2016, 6, 2))
    assert found["ru.framework-gap"] == BREACHED
    assert "ru.no-dv-offence" not in found


def test_kg_breach_left_without_response_is_breached_at_once_under_the_2021_code():
    breach = Fact(1, "order_breached", day("2023-02-01"), {"order_type": "kg.temporary_order"})
    report = Fact(2, "police_report", day("2023-02-01"), {}, "police", (1,))
    nothing = Fact(3, "breach_response", day("2023-02-01"), {"response": "none"}, "police", (2,))
    found = statuses("kg", [breach, report, nothing], date(2023, 2, 1))
    assert found["kg.breach-response.2021"] == BREACHED
    assert "kg.breach-response.2017" not in found
    assert "intl.breach-sanction" not in found


def test_uz_order_application_decided_within_24_hours():
    request = Fact(1, "order_requested", day("2024-05-01"), {"order_type": "uz.protection_order"},
                   "police")
    issued = Fact(2, "order_issued", day("2024-05-02"), {"order_type": "uz.protection_order"},
                  "police", (1,))
    assert statuses("uz", [request, issued], date(2024, 6, 1))["uz.order-issue"] == MET
    assert statuses("uz", [request], date(2024, 5, 3))["uz.order-issue"] == BREACHED
