"""The kz profile against the law in force: Law No. 214-IV until 1 March 2026, Law No. 245-VIII
from 2 March 2026, refusals that breach at once, and every confirmation resting on a quote.

The engine is pure: these tests need no database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qorgau.cases.dates import DateSpan
from qorgau.duties import engine, profiles
from qorgau.duties.engine import BREACHED, MET, PENDING, Fact

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
KZ = profiles.load("kz", PROFILES)
OWN = [r for r in KZ.rules if r.profile == "kz"]

RULES_2026 = {"kz.report-action.2026", "kz.referral.2026", "kz.prevention-notice"}
RULES_214 = {"kz.report-action.2009", "kz.report-action.2014", "kz.report-action.2023",
             "kz.report-action.2024", "kz.referral", "kz.referral.2014"}


def day(text: str) -> DateSpan:
    return DateSpan.parse(text)


def kz_duties(facts: list[Fact], now: date) -> dict[str, engine.Obligation]:
    """The obligations of kz's own rules, by rule id (one trigger per rule in these cases)."""
    found: dict[str, engine.Obligation] = {}
    for o in engine.derive(KZ, facts, now):
        if o.rule.profile == "kz":
            assert o.rule.id not in found, o.rule.id
            found[o.rule.id] = o
    return found


def report(when: str, asked: bool = True) -> Fact:
    """A report to the police; she asked to be referred for help unless `asked` is False
    (Law No. 214-IV owes the referral on her request, Law No. 245-VIII on every report)."""
    return Fact(1, "police_report", day(when), {"referral_requested": True} if asked else {},
                institution="police")


# --- the law in force on the day of the report ---------------------------------------------

@pytest.mark.parametrize(("when", "report_rule", "referral_rule"), [
    ("2012-05-10", "kz.report-action.2009", "kz.referral"),       # the 2009 wording (unread)
    ("2020-05-10", "kz.report-action.2014", "kz.referral.2014"),
    ("2023-07-01", "kz.report-action.2023", "kz.referral.2014"),
    ("2024-06-16", "kz.report-action.2024", "kz.referral.2014"),
    ("2026-03-01", "kz.report-action.2024", "kz.referral.2014"),  # the last day of 214-IV
    ("2026-03-02", "kz.report-action.2026", "kz.referral.2026"),  # Law No. 245-VIII in force
    ("2026-04-10", "kz.report-action.2026", "kz.referral.2026"),
])
def test_report_falls_under_the_law_of_its_day(when, report_rule, referral_rule):
    found = kz_duties([report(when)], date(2026, 12, 1))
    assert report_rule in found and referral_rule in found
    assert found[report_rule].rule.family == "kz.report-action"
    assert found[referral_rule].rule.family == "kz.referral"


def test_a_2026_report_yields_the_245_viii_duties_only():
    ids = set(kz_duties([report("2026-04-10")], date(2026, 4, 10)))
    assert ids >= RULES_2026
    assert not ids & RULES_214


def test_a_2020_report_yields_the_214_iv_duties_only():
    ids = set(kz_duties([report("2020-05-10")], date(2020, 5, 10)))
    assert {"kz.report-action.2014", "kz.referral.2014"} <= ids
    assert not ids & RULES_2026


def test_under_214_iv_the_police_refer_her_on_her_request_else_the_baseline_applies():
    asked = {o.rule.id for o in engine.derive(KZ, [report("2020-05-10")], date(2020, 6, 1))}
    not_asked = {o.rule.id for o in engine.derive(KZ, [report("2020-05-10", asked=False)],
                                                  date(2020, 6, 1))}
    assert "kz.referral.2014" in asked and "intl.referral" not in asked
    assert "kz.referral.2014" not in not_asked and "intl.referral" in not_asked
    # from 2 March 2026 Law No. 245-VIII owes it on every report (with her view)
    late = {o.rule.id for o in engine.derive(KZ, [report("2026-04-10", asked=False)],
                                             date(2026, 5, 1))}
    assert "kz.referral.2026" in late and "intl.referral" not in late


def test_the_214_iv_rules_end_the_day_before_245_viii_took_effect():
    for rule_id in ("kz.report-action.2024", "kz.referral.2014"):
        assert KZ.rule(rule_id).effective_to == date(2026, 3, 1)
    for rule_id in RULES_2026:
        assert KZ.rule(rule_id).effective_from == date(2026, 3, 2)
    assert [p["id"] for p in KZ.periods][-1] == "2026"


@pytest.mark.parametrize("family", ["kz.report-action", "kz.referral"])
def test_versions_of_a_duty_follow_each_other_without_gap_or_overlap(family):
    versions = sorted((r for r in OWN if r.family == family), key=lambda r: r.effective_from)
    assert versions[0].effective_from == date(2009, 12, 4)
    for before, after in zip(versions, versions[1:], strict=False):
        assert before.effective_to is not None
        assert (after.effective_from - before.effective_to).days == 1
    assert versions[-1].effective_to is None


# --- refusals breach at once ---------------------------------------------------------------

@pytest.mark.parametrize(("when", "rule_id"), [
    ("2012-05-10", "kz.report-action.2009"),
    ("2020-05-10", "kz.report-action.2014"),
    ("2024-01-15", "kz.report-action.2023"),
    ("2025-02-01", "kz.report-action.2024"),
    ("2026-04-10", "kz.report-action.2026"),
])
def test_a_recorded_police_refusal_breaches_at_once(when, rule_id):
    refusal = Fact(2, "police_refusal", day(when), {"reason": "not_a_crime"}, "police", (1,))
    found = kz_duties([report(when), refusal], date.fromisoformat(when))
    assert (found[rule_id].status, found[rule_id].reason) == (BREACHED, "refused")
    assert found[rule_id].grounds == engine.ON_RECORD


def test_no_response_recorded_breaches_at_once():
    silence = Fact(2, "authority_no_response", day("2026-04-10"), institution="police",
                   links=(1,))
    found = kz_duties([report("2026-04-10"), silence], date(2026, 4, 10))
    assert found["kz.report-action.2026"].status == BREACHED


def test_a_breach_response_of_none_is_a_refusal_and_a_protocol_meets_the_duty():
    breach = Fact(1, "order_breached", day("2026-05-01"))
    told = Fact(2, "police_report", day("2026-05-01"), institution="police", links=(1,))
    nothing = Fact(3, "breach_response", day("2026-05-01"), {"response": "none"}, "police", (2,))
    protocol = Fact(3, "breach_response", day("2026-05-02"), {"response": "protocol"}, "police",
                    (2,))
    now = date(2026, 5, 2)
    refused = {o.rule.id: o for o in engine.derive(KZ, [breach, told, nothing], now)}
    assert refused["kz.breach-response"].status == BREACHED
    met = {o.rule.id: o for o in engine.derive(KZ, [breach, told, protocol], now)}
    assert (met["kz.breach-response"].status, met["kz.breach-response"].satisfied_by) == (MET, 3)


def test_without_any_record_the_report_duty_waits_a_reasonable_day():
    facts = [report("2026-04-10")]
    assert kz_duties(facts, date(2026, 4, 11))["kz.report-action.2026"].status == PENDING
    late = kz_duties(facts, date(2026, 4, 12))["kz.report-action.2026"]
    assert (late.status, late.reason) == (BREACHED, "unreasonable")


# --- the new 245-VIII duties with a time limit ---------------------------------------------

@pytest.mark.parametrize(("answer", "now", "status"), [
    (None, date(2026, 4, 11), PENDING),
    (None, date(2026, 4, 12), BREACHED),
    (Fact(2, "referral_made", day("2026-04-11"), institution="police"), date(2026, 5, 1), MET),
    (Fact(2, "service_started", day("2026-04-11"), institution="social_services"),
     date(2026, 5, 1), MET),
    (Fact(2, "referral_made", day("2026-04-11"), institution="organisation"),  # not the state
     date(2026, 4, 12), BREACHED),
])
def test_prevention_bodies_are_notified_within_a_day(answer, now, status):
    facts = [report("2026-04-10"), *([answer] if answer else [])]
    assert kz_duties(facts, now)["kz.prevention-notice"].status == status


def test_no_24_hour_notice_before_245_viii():
    assert "kz.prevention-notice" not in kz_duties([report("2026-03-01")], date(2026, 3, 5))


@pytest.mark.parametrize(("visit", "now", "status"), [
    (None, date(2026, 4, 8), PENDING),
    (None, date(2026, 4, 9), BREACHED),
    ("2026-04-06", date(2026, 4, 30), MET),
])
def test_the_protective_order_is_checked_within_seven_days(visit, now, status):
    order = Fact(1, "order_issued", day("2026-04-01"), {"order_type": "kz.protective_order"},
                 "police")
    facts = [order]
    if visit:
        facts.append(Fact(2, "police_visit", day(visit), institution="police", links=(1,)))
    assert kz_duties(facts, now)["kz.order-check"].status == status


def test_the_complaint_answer_follows_the_criminal_procedure_code():
    complaint = Fact(1, "complaint_official", day("2026-04-01"), institution="prosecutor")
    found = kz_duties([complaint], date(2026, 4, 1))
    assert found["kz.complaint-answer"].due_latest == date(2026, 4, 8)  # 7 days, art. 105(2)


# --- confirmations rest on the texts -------------------------------------------------------

def _primary(source: str) -> bool:
    return bool(KZ.sources[source].get("primary"))


@pytest.mark.parametrize("rule", OWN, ids=[r.id for r in OWN])
def test_every_confirmed_rule_has_a_confirmed_check_with_a_quote(rule):
    for check in rule.checks:
        assert check.source in KZ.sources and _primary(check.source), check
        assert check.version and check.article
        if check.result != "confirmed":
            assert check.note, check
    if rule.confirmed:
        confirming = [c for c in rule.checks if c.result == "confirmed"]
        assert confirming, rule.id
        assert all(c.quote.strip() for c in confirming), rule.id
    else:
        assert rule.checks, rule.id  # checked, and why it is not confirmed is said
        assert all(rule.unconfirmed[lang] for lang in ("en", "ru", "kk")), rule.id


@pytest.mark.parametrize("order", KZ.order_types, ids=[o["id"] for o in KZ.order_types])
def test_every_confirmed_order_type_has_a_confirmed_check_with_a_quote(order):
    if not order["id"].startswith("kz."):
        return
    for item in (order, order["breach"]):
        checks = item.get("checks") or []
        assert checks, item
        if item["confirmed"]:
            assert any(c["result"] == "confirmed" and c.get("quote") for c in checks), item


def test_art_461_is_the_breach_article_of_the_protective_order_only():
    orders = {o["id"]: o for o in KZ.order_types}
    assert orders["kz.protective_order"]["breach"]["article"] == "CoAO art. 461"
    assert orders["kz.protective_order"]["breach"]["confirmed"]
    special = orders["kz.special_requirements"]["breach"]
    assert "461" not in special["article"].replace("not art. 461", "")
    assert not special["confirmed"]


def test_most_of_kz_is_confirmed():
    own_orders = [o for o in KZ.order_types if o["id"].startswith("kz.")]
    confirmed = sum(r.confirmed for r in OWN) + sum(o["confirmed"] for o in own_orders)
    total = len(OWN) + len(own_orders)
    assert total == 16 and confirmed / total >= 0.8
