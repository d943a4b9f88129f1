"""The duties engine: table tests per rule of every shipped profile, and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qorgau.cases import taxonomy
from qorgau.cases.dates import DateSpan
from qorgau.duties import engine, profiles
from qorgau.duties.engine import BREACHED, MET, NOT_APPLICABLE, PENDING, Fact

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
SHIPPED = profiles.load_all(PROFILES)
ALL_RULES = sorted({(pid, r.id) for pid, p in SHIPPED.items() for r in p.rules})


def day(text: str) -> DateSpan:
    return DateSpan.parse(text)


def in_force_day(rule: profiles.Rule) -> date:
    """A day on which the rule is in force."""
    return rule.effective_from + timedelta(days=10)


def fact(number: int, match: profiles.Match, when: date, links: tuple[int, ...] = ()) -> Fact:
    """A fact that satisfies `match` (first accepted value of each attribute)."""
    kind = sorted(match.kinds)[0]
    attributes = {name: values[0] for name, values in match.attributes.items()}
    institution = sorted(match.institution)[0] if match.institution else ""
    return Fact(number, kind, day(when.isoformat()), attributes, institution, links)


def scenario(rule: profiles.Rule) -> tuple[list[Fact], Fact]:
    """The smallest case that triggers `rule`: its trigger, and what the trigger needs."""
    when = in_force_day(rule)
    facts: list[Fact] = []
    links: tuple[int, ...] = ()
    if rule.trigger.linked_to:
        target = Fact(1, sorted(rule.trigger.linked_to)[0], day(when.isoformat()))
        facts.append(target)
        links = (1,)
    if rule.trigger.preceded_by is not None:
        facts.append(fact(4, rule.trigger.preceded_by, when - timedelta(days=30)))
    trigger = fact(2, rule.trigger, when, links)
    facts.append(trigger)
    if rule.trigger.linked_from:
        facts.append(Fact(3, sorted(rule.trigger.linked_from)[0], day(when.isoformat()),
                          links=(2,)))
    return facts, trigger


def only(profile: profiles.Profile, rule_id: str) -> profiles.Profile:
    return replace(profile, rules=(profile.rule(rule_id),))


def outcome(profile: profiles.Profile, facts: list[Fact], trigger: Fact,
            now: date) -> engine.Obligation:
    found = [o for o in engine.derive(profile, facts, now) if o.trigger == trigger.number]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("profile_id", "rule_id"), ALL_RULES)
def test_rule_table(profile_id, rule_id):
    """Each shipped rule: pending, breached, met, met late, and not met by the wrong event."""
    profile = only(SHIPPED[profile_id], rule_id)
    rule = profile.rules[0]
    facts, trigger = scenario(rule)
    when = in_force_day(rule)
    if rule.standing:  # a gap in the law: the legislature's failure from the first event
        gap = outcome(profile, facts, trigger, when)
        assert (gap.status, gap.reason, gap.grounds) == (BREACHED, "framework_gap", "on_record")
        return
    if rule.decision:  # a decision stands until a competent body finds it unlawful
        decided = outcome(profile, facts, trigger, when)
        assert (decided.status, decided.satisfied_by) == (MET, trigger.number)
        finding = Fact(20, "finding_unlawful", day(when.isoformat()), {"violation": True},
                       "court", (trigger.number,))
        found = outcome(profile, [*facts, finding], trigger, when)
        assert (found.status, found.reason, found.satisfied_by) == (
            BREACHED, "found_unlawful", 20)
        return
    if any(engine._matches(trigger, m) for m in rule.refused_by):
        # the event is itself the recorded failure (officials leaving her with the suspect)
        failed = outcome(profile, facts, trigger, when)
        assert (failed.status, failed.reason, failed.grounds) == (
            BREACHED, "refused", "on_record")
        return
    deadline = rule.deadline or (rule.reasonable_time.duration if rule.reasonable_time
                                 else None)
    step = engine._ceil_days(deadline) if deadline is not None else None
    satisfied_links = (trigger.number,) if rule.satisfied_by.linked else ()

    # Nothing recorded yet.
    first = outcome(profile, facts, trigger, when)
    assert first.status == PENDING
    if step is None:
        assert first.due_latest is None
        assert outcome(profile, facts, trigger, when + timedelta(days=3650)).status == PENDING
    else:
        assert first.due_latest == when + step
        assert outcome(profile, facts, trigger, when + step).status == PENDING
        late_day = when + step + timedelta(days=1)
        breached = outcome(profile, facts, trigger, late_day)
        assert breached.status == BREACHED
        assert f"#{trigger.number}" in breached.explain()

    # Satisfied in time.
    answer = fact(10, rule.satisfied_by, when, satisfied_links)
    met = outcome(profile, [*facts, answer], trigger, when + timedelta(days=400))
    assert (met.status, met.satisfied_by, met.late) == (MET, 10, False)

    # A recorded refusal or non-response, linked to the trigger: breached at once.
    for number, match in enumerate(rule.refused_by, start=30):
        refusal = fact(number, match, when, (trigger.number,))
        if rule.bearer_from_institution and trigger.institution:
            refusal = replace(refusal, institution=trigger.institution)
        on_record = outcome(profile, [*facts, refusal], trigger, when)
        assert (on_record.status, on_record.reason, on_record.satisfied_by) == (
            BREACHED, "refused", number), match

    # Satisfied after the deadline (or the reasonable time): met, but late.
    if step is not None:
        late = fact(10, rule.satisfied_by, when + step + timedelta(days=5), satisfied_links)
        met_late = outcome(profile, [*facts, late], trigger, when + timedelta(days=400))
        assert (met_late.status, met_late.late) == (MET, True)

    # An event of a kind that does not satisfy the rule changes nothing.
    other_kind = next(k.id for k in taxonomy.KINDS
                      if k.id not in rule.satisfied_by.kinds | rule.trigger.kinds
                      and k.id not in (rule.not_applicable_if.kinds
                                       if rule.not_applicable_if else ())
                      and not any(k.id in m.kinds for m in rule.refused_by)
                      and k.id not in engine.FINDING_KINDS)
    unrelated = Fact(11, other_kind, day(when.isoformat()), links=(trigger.number,))
    assert outcome(profile, [*facts, unrelated], trigger, when).status == PENDING

    # A linked duty is not met by an answer to something else.
    if rule.satisfied_by.linked:
        stray = fact(12, rule.satisfied_by, when)
        assert outcome(profile, [*facts, stray], trigger, when).satisfied_by is None

    # A refused attribute value does not satisfy.
    for name, refused in rule.satisfied_by.except_attributes.items():
        bad = replace(answer, attributes={**answer.attributes, name: refused[0]})
        assert outcome(profile, [*facts, bad], trigger, when).satisfied_by is None

    # What makes the duty moot.
    if rule.not_applicable_if is not None:
        moot = fact(13, rule.not_applicable_if, when, (trigger.number,))
        assert outcome(profile, [*facts, moot], trigger, when).status == NOT_APPLICABLE


@pytest.mark.parametrize(("profile_id", "rule_id"), ALL_RULES)
def test_rule_not_in_force_before_its_period(profile_id, rule_id):
    profile = only(SHIPPED[profile_id], rule_id)
    rule = profile.rules[0]
    facts, trigger = scenario(rule)
    before = rule.effective_from - timedelta(days=1)
    moved = [replace(f, span=day((before - timedelta(days=30 if f.number == 4 else 0))
                                 .isoformat())) for f in facts]
    assert engine.derive(profile, moved, before + timedelta(days=30)) == []


def test_kz_report_rule_follows_the_law_in_force():
    kz = SHIPPED["kz"]
    reports = [Fact(1, "police_report", day("2023-05-10")),
               Fact(2, "police_report", day("2023-08-10")),
               Fact(3, "police_report", day("2024-07-01")),
               Fact(4, "police_report", day("2012-02-01")),
               Fact(5, "police_report", day("2026-04-01"))]
    versions = {o.trigger: o.rule.id for o in engine.derive(kz, reports, date(2026, 6, 1))
                if o.rule.family == "kz.report-action"}
    assert versions == {1: "kz.report-action.2014", 2: "kz.report-action.2023",
                        3: "kz.report-action.2024", 4: "kz.report-action.2009",
                        5: "kz.report-action.2026"}


def test_approximate_trigger_gives_a_span_of_due_dates():
    kz = only(SHIPPED["kz"], "kz.breach-response")
    facts = [Fact(1, "order_breached", day("2024-01")),
             Fact(2, "police_report", DateSpan.parse("2024-01", qualifier="approximate"),
                  links=(1,))]
    in_month = outcome(kz, facts, facts[1], date(2024, 1, 20))
    assert (in_month.due_earliest, in_month.due_latest) == (date(2024, 1, 4), date(2024, 2, 3))
    assert in_month.status == PENDING  # it may still be within the deadline
    assert outcome(kz, facts, facts[1], date(2024, 2, 4)).status == BREACHED


def test_unknown_trigger_date_asks_for_the_date():
    kz = only(SHIPPED["kz"], "kz.breach-response")
    report = Fact(1, "police_report", DateSpan(), links=(2,))
    breach = Fact(2, "order_breached", day("2025-06-01"))
    result = outcome(kz, [breach, report], report, date(2026, 1, 1))
    assert (result.status, result.reason, result.due_latest) == (
        PENDING, "pending_unknown_date", None)


def test_preceded_by_needs_an_earlier_event():
    intl = only(SHIPPED["intl"], "intl.risk-reassessment")
    incident = Fact(2, "strangulation", day("2024-05-10"))
    earlier = Fact(1, "risk_assessment", day("2024-05-01"), institution="organisation")
    later = Fact(3, "risk_assessment", day("2024-05-12"), institution="organisation")
    police = Fact(4, "risk_assessment", day("2024-05-01"), institution="police")
    now = date(2024, 6, 1)
    assert engine.derive(intl, [incident], now) == []
    assert engine.derive(intl, [incident, police], now) == []
    assert outcome(intl, [earlier, incident], incident, now).status == BREACHED
    assert outcome(intl, [earlier, incident, later], incident, now).satisfied_by == 3


def test_first_only_rule_takes_the_earliest_contact():
    intl = only(SHIPPED["intl"], "intl.risk-assessment")
    facts = [Fact(5, "police_report", day("2024-03-01")),
             Fact(9, "order_requested", day("2023-11-02"))]
    assert [o.trigger for o in engine.derive(intl, facts, date(2025, 1, 1))] == [9]


def test_what_the_trigger_answers_does_not_satisfy_it():
    """The request an order responds to came before the order: it is no renewal."""
    kz = only(SHIPPED["kz"], "kz.order-renewal")
    facts = [Fact(1, "order_requested", day("2024-01"), {"order_type": "kz.protective_order"}),
             Fact(2, "order_issued", day("2024-01"), {"order_type": "kz.protective_order"},
                  links=(1,))]
    assert outcome(kz, facts, facts[1], date(2024, 6, 1)).status == BREACHED


# --- properties ------------------------------------------------------------------------------

KIND_IDS = sorted({k for p in SHIPPED.values() for r in p.rules
                   for k in (*r.trigger.kinds, *r.trigger.linked_to, *r.satisfied_by.kinds)})


@st.composite
def facts_strategy(draw: st.DrawFn) -> list[Fact]:
    count = draw(st.integers(min_value=1, max_value=14))
    facts: list[Fact] = []
    for number in range(1, count + 1):
        kind = draw(st.sampled_from(KIND_IDS))
        start = date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 1200)))
        precision = draw(st.sampled_from(["day", "month", "year", "unknown"]))
        text = {"day": start.isoformat(), "month": start.isoformat()[:7],
                "year": start.isoformat()[:4], "unknown": ""}[precision]
        span = DateSpan.parse(text)
        links = tuple(sorted(set(draw(st.lists(st.integers(1, number), max_size=2)))
                             - {number}))
        attributes = draw(st.sampled_from([{}, {"order_type": "kz.protective_order"},
                                           {"response": "detention"}, {"response": "none"}]))
        institution = draw(st.sampled_from(["", "police", "prosecutor"]))
        facts.append(Fact(number, kind, span, attributes, institution, links))
    return facts


def _statuses(obligations: list[engine.Obligation]) -> dict[tuple[str, int], str]:
    return {o.key: o.status for o in obligations}


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(facts_strategy(), st.randoms(use_true_random=False),
       st.sampled_from(sorted(SHIPPED)))
def test_order_of_entry_does_not_matter(facts, rng, profile_id):
    shuffled = list(facts)
    rng.shuffle(shuffled)
    now = date(2026, 1, 1)
    assert engine.derive(SHIPPED[profile_id], facts, now) == engine.derive(
        SHIPPED[profile_id], shuffled, now)


@PROPERTY_SETTINGS
@given(facts_strategy(), st.sampled_from(sorted(SHIPPED)), st.data())
def test_adding_a_satisfying_event_never_adds_a_breach(facts, profile_id, data):
    profile = SHIPPED[profile_id]
    now = date(2026, 1, 1)
    before = engine.derive(profile, facts, now)
    rule = data.draw(st.sampled_from(profile.rules))
    target = data.draw(st.sampled_from(facts))
    when = target.span.sort_key()[0] if target.span.known else date(2024, 1, 1)
    answer = fact(len(facts) + 1, rule.satisfied_by, when, (target.number,))
    after = engine.derive(profile, [*facts, answer], now)
    breached_before = {o.key for o in before if o.status == BREACHED}
    existing = {o.key for o in before}
    breached_after = {o.key for o in after if o.status == BREACHED}
    # No duty that already existed becomes breached. (The new event may give rise to new
    # duties: its own, or, as an earlier assessment, a reassessment after later incidents.)
    assert (breached_after & existing) <= breached_before


@PROPERTY_SETTINGS
@given(facts_strategy(), st.sampled_from(sorted(SHIPPED)), st.integers(0, 2000))
def test_time_passing_never_turns_met_into_breached(facts, profile_id, days):
    profile = SHIPPED[profile_id]
    early, late = date(2024, 1, 1), date(2024, 1, 1) + timedelta(days=days)
    before = _statuses(engine.derive(profile, facts, early))
    after = _statuses(engine.derive(profile, facts, late))
    for key, status in before.items():
        if status in (MET, NOT_APPLICABLE, BREACHED):
            assert after.get(key, status) == status
        else:
            assert after.get(key, status) in (PENDING, BREACHED)


@PROPERTY_SETTINGS
@given(facts_strategy(), st.sampled_from(sorted(SHIPPED)))
def test_every_obligation_explains_itself(facts, profile_id):
    for obligation in engine.derive(SHIPPED[profile_id], facts, date(2026, 1, 1)):
        text = obligation.explain()
        assert text and "%(" not in text
        if obligation.status == BREACHED and obligation.grounds == engine.ON_ABSENCE:
            # a breach on absence only once its last due day has passed (a breach on a
            # recorded refusal or finding, or a gap in the law, needs no deadline)
            assert obligation.due_latest is not None
            assert date(2026, 1, 1) > obligation.due_latest
