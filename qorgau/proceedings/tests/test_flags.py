"""Custody periods, flags and the survivor's grounds: table tests at every boundary."""

from __future__ import annotations

from datetime import date

import pytest

from qorgau.cases.dates import DateSpan
from qorgau.proceedings.flags import (
    INDICATORS,
    NOT_OBSERVED,
    OBSERVED,
    HearingObservation,
    ProceedingEvent,
    Thresholds,
    custody_periods,
    derive_flags,
    detention_clock,
    proceedings_length,
    survivor_grounds,
    whole_months,
)

LIMITS = Thresholds(lengthy_detention_months=12, repeated_adjournments=3,
                    reasonable_time_months=36)


def ev(number: int, kind: str, when: str, **attributes: object) -> ProceedingEvent:
    return ProceedingEvent(number, kind, DateSpan.parse(when), attributes)


def ids(flags) -> set[str]:
    return {f.id for f in flags}


@pytest.mark.parametrize(("start", "end", "months"), [
    (date(2024, 2, 26), date(2024, 2, 26), 0),
    (date(2024, 2, 26), date(2024, 3, 25), 0),
    (date(2024, 2, 26), date(2024, 3, 26), 1),
    (date(2024, 2, 26), date(2025, 2, 25), 11),
    (date(2024, 2, 26), date(2025, 2, 26), 12),
    (date(2024, 1, 31), date(2024, 2, 29), 0),
    (date(2024, 1, 31), date(2024, 3, 31), 2),
])
def test_whole_months(start, end, months):
    assert whole_months(start, end) == months


@pytest.mark.parametrize(("today", "flagged"), [
    (date(2025, 2, 25), False),  # 11 months and 30 days
    (date(2025, 2, 26), True),   # 12 months: the threshold
    (date(2025, 2, 27), True),
])
def test_lengthy_detention_at_the_boundary(today, flagged):
    events = [ev(1, "arrest", "2024-02-26")]
    assert ("lengthy_detention" in ids(derive_flags(events, LIMITS, today))) is flagged


def test_release_stops_the_clock():
    events = [ev(1, "arrest", "2024-02-26"), ev(2, "release", "2024-08-26")]
    clock = detention_clock(events, date(2026, 1, 1))
    assert clock is not None and not clock.running and clock.months == 6
    assert clock.ended_by == 2 and clock.ended_kind == "release"
    assert "lengthy_detention" not in ids(derive_flags(events, LIMITS, date(2026, 1, 1)))


def test_no_detention_no_clock():
    assert detention_clock([ev(1, "hearing", "2024-05-01")], date(2025, 1, 1)) is None


def test_a_convicted_person_is_not_in_pre_trial_detention():
    # Arrested, convicted five months later, sentenced to prison: years later, no flag.
    events = [ev(1, "arrest", "2020-01-10", subject="respondent"),
              ev(2, "verdict", "2020-06-10", outcome="convicted"),
              ev(3, "sentence", "2020-07-01", penalty="custodial", amount="9 years"),
              ev(4, "appeal", "2021-02-01", outcome="upheld", final=True)]
    today = date(2029, 1, 1)
    clock = detention_clock(events, today, "respondent")
    assert clock is not None and not clock.running and clock.months == 5
    assert clock.ended_by == 2 and clock.ended_kind == "verdict"
    periods = custody_periods(events, "respondent")
    assert [(p.state, p.start_event, p.end_event) for p in periods] == [
        ("pretrial", 1, 2), ("sentence", 2, None)]
    assert "lengthy_detention" not in ids(derive_flags(events, LIMITS, today,
                                                       subject="respondent"))


@pytest.mark.parametrize(("ending", "attributes", "state_after"), [
    ("verdict", {"outcome": "acquitted"}, None),
    ("verdict", {"outcome": "convicted"}, "sentence"),
    ("sentence", {"penalty": "custodial"}, "sentence"),
    ("sentence", {"penalty": "suspended"}, None),
    ("sentence", {"penalty": "amnesty"}, None),
    ("release", {}, None),
    ("release_pending_appeal", {}, None),
    ("restriction_ordered", {"measure": "house_arrest"}, "measure"),
])
def test_what_ends_pre_trial_detention(ending, attributes, state_after):
    events = [ev(1, "arrest", "2024-01-15"), ev(2, ending, "2024-04-15", **attributes)]
    periods = custody_periods(events)
    assert (periods[0].state, periods[0].end_event, periods[0].end_kind) == (
        "pretrial", 2, ending)
    assert (periods[1].state if len(periods) > 1 else None) == state_after
    clock = detention_clock(events, date(2030, 1, 1))
    assert clock is not None and clock.months == 3


def test_a_measure_has_its_own_clock_and_detention_can_resume():
    events = [ev(1, "arrest", "2023-01-01"),
              ev(2, "restriction_ordered", "2023-05-01", measure="house_arrest"),
              ev(3, "detention_ordered", "2023-09-01"),
              ev(4, "verdict", "2024-02-01", outcome="convicted")]
    periods = custody_periods(events)
    assert [(p.state, p.measure, p.start_event, p.end_event) for p in periods] == [
        ("pretrial", "", 1, 2), ("measure", "house_arrest", 2, 3), ("pretrial", "", 3, 4),
        ("sentence", "", 4, None)]
    clock = detention_clock(events, date(2030, 1, 1))
    assert clock is not None and clock.months == 4 + 5  # house arrest counted apart


def test_a_retrial_after_appeal_returns_to_pre_trial_detention():
    events = [ev(1, "arrest", "2020-01-01"), ev(2, "verdict", "2020-03-01", outcome="convicted"),
              ev(3, "appeal", "2021-01-01", outcome="retrial"), ev(4, "release", "2021-06-01")]
    clock = detention_clock(events, date(2030, 1, 1))
    assert clock is not None and clock.months == 2 + 5 and clock.ended_by == 4


def test_arrests_of_someone_else_do_not_count():
    events = [ev(1, "arrest", "2020-01-01", subject="respondent")]
    assert detention_clock(events, date(2030, 1, 1), "survivor") is None
    assert detention_clock(events, date(2030, 1, 1), "respondent") is not None


@pytest.mark.parametrize(("today", "flagged"), [
    (date(2022, 12, 31), False),  # 35 months
    (date(2023, 1, 1), True),     # 36 months: the threshold
])
def test_unreasonable_length_at_the_boundary(today, flagged):
    events = [ev(1, "indictment", "2020-01-01"), ev(2, "hearing", "2020-06-01")]
    assert ("unreasonable_length" in ids(derive_flags(events, LIMITS, today))) is flagged


def test_length_stops_at_the_final_decision_and_restarts_when_reopened():
    decided = [ev(1, "charges_respondent", "2020-01-01"),
               ev(2, "verdict", "2020-09-01", outcome="convicted"),
               ev(3, "appeal", "2021-03-01", outcome="upheld", final=True)]
    length = proceedings_length(decided, date(2030, 1, 1))
    assert length is not None and (length.start_event, length.end_event, length.months) == (
        1, 3, 14)
    assert "unreasonable_length" not in ids(derive_flags(decided, LIMITS, date(2030, 1, 1)))
    reopened = [*decided, ev(4, "appeal", "2022-01-01", outcome="retrial",
                             court_level="cassation")]
    length = proceedings_length(reopened, date(2030, 1, 1))
    assert length is not None and length.end is None
    assert "unreasonable_length" in ids(derive_flags(reopened, LIMITS, date(2030, 1, 1)))


def test_a_closed_proceeding_ends_at_its_last_decision():
    events = [ev(1, "indictment", "2020-01-01"), ev(2, "verdict", "2020-05-01")]
    assert proceedings_length(events, date(2030, 1, 1), closed=True).months == 4
    assert proceedings_length(events, date(2030, 1, 1)).end is None


@pytest.mark.parametrize(("adjournments", "flagged"), [(2, False), (3, True), (4, True)])
def test_repeated_adjournments_at_the_boundary(adjournments, flagged):
    events = [ev(i, "hearing", f"2024-0{i}-10", adjourned=True)
              for i in range(1, adjournments + 1)]
    events.append(ev(9, "hearing", "2024-09-10"))  # held, not adjourned
    assert ("repeated_adjournments" in ids(derive_flags(
        events, LIMITS, date(2025, 1, 1)))) is flagged


def test_mistrial_then_retrial():
    only_mistrial = [ev(1, "mistrial", "2025-05-19")]
    assert "retrial_after_mistrial" not in ids(derive_flags(
        only_mistrial, LIMITS, date(2025, 6, 1)))
    ordered = [ev(1, "mistrial", "2025-05-19", retrial_ordered=True)]
    assert "retrial_after_mistrial" in ids(derive_flags(ordered, LIMITS, date(2025, 6, 1)))
    new_jury = [*only_mistrial, ev(2, "jury_selected", "2025-06-23")]
    assert "retrial_after_mistrial" in ids(derive_flags(new_jury, LIMITS, date(2025, 7, 1)))


def test_substitutions_count_dismissed_juries_and_replaced_officials():
    events = [ev(1, "jury_dismissed", "2025-05-19"),
              ev(2, "hearing", "2025-07-01", substitution="judge"),
              ev(3, "hearing", "2025-08-01")]
    (flag,) = [f for f in derive_flags(events, LIMITS, date(2025, 9, 1))
               if f.id == "substitutions"]
    assert flag.params["count"] == 2 and flag.events == (1, 2)


def test_abuse_evidence_excluded_from_a_hearing_record():
    events = [ev(4, "hearing", "2025-07-01")]
    assert "abuse_evidence_excluded" not in ids(derive_flags(events, LIMITS, date(2025, 9, 1)))
    flagged = derive_flags(events, LIMITS, date(2025, 9, 1), hearings=[
        HearingObservation(4, date(2025, 7, 1), {}, abuse_evidence_excluded=True)])
    assert "abuse_evidence_excluded" in ids(flagged)


@pytest.mark.parametrize("indicator", [k for k in INDICATORS if k != "non_discrimination"])
def test_every_indicator_not_observed_raises_its_flag(indicator):
    note = "The hearing was closed to the press and the public."
    hearing = HearingObservation(7, date(2025, 7, 1), {
        indicator: {"value": NOT_OBSERVED, "note": note},
        **{k: {"value": OBSERVED, "note": ""} for k in INDICATORS if k != indicator}})
    found = [f for f in derive_flags([], LIMITS, date(2025, 9, 1), hearings=[hearing])
             if f.id == "indicator_not_observed"]
    (flag,) = found
    assert flag.params["indicator"] == indicator and flag.events == (7,) and flag.note == note
    assert "01.07.2025" in flag.text() and INDICATORS[indicator] in flag.text()


def test_observed_indicators_raise_nothing():
    hearing = HearingObservation(7, date(2025, 7, 1), {
        k: {"value": OBSERVED, "note": ""} for k in INDICATORS})
    assert derive_flags([], LIMITS, date(2025, 9, 1), hearings=[hearing]) == []


def test_stereotyping_from_a_hearing_or_a_decision():
    hearing = HearingObservation(3, date(2025, 7, 1), {"non_discrimination": {
        "value": NOT_OBSERVED, "note": "The prosecutor: 'she would have left if it were true'"}})
    (flag,) = derive_flags([], LIMITS, date(2025, 9, 1), hearings=[hearing])
    assert flag.id == "stereotyping" and "would have left" in flag.note
    decision = [ev(5, "court_decision", "2008-03-01", stereotyping="she provoked him")]
    (flag,) = derive_flags(decision, LIMITS, date(2025, 9, 1))
    assert (flag.id, flag.events, flag.note) == ("stereotyping", (5,), "she provoked him")


TIMELINE = [ev(1, "physical_violence", "2019-01-01"), ev(2, "police_report", "2023-06-01"),
            ev(3, "medical_exam", "2022-05-01"), ev(4, "law_gap", "2010-01-01"),
            ev(9, "arrest", "2024-02-26", subject="survivor"),
            ev(10, "police_report", "2024-05-01")]


@pytest.mark.parametrize(("kwargs", "timeline", "expected"), [
    ({"authority_failures": [2]}, [TIMELINE[0], TIMELINE[1]],
     [("authority_failures", (2,)), ("requests_for_protection", (2,))]),
    ({}, [TIMELINE[3]], [("law_gap", (4,))]),
    ({"law_gaps": [1]}, [TIMELINE[0]], [("law_gap", (1,))]),
    ({}, [TIMELINE[2]], [("documented_abuse", (3,))]),
    ({"abuse_witnessed": [1]}, [TIMELINE[0]], [("documented_abuse", (1,))]),
    ({}, [TIMELINE[1]], [("requests_for_protection", (2,))]),
    ({}, [TIMELINE[0], TIMELINE[4], TIMELINE[5]], []),  # a report after her arrest is not one
    ({"authority_failures": [10]}, [TIMELINE[5]], []),  # nor a failure on it
])
def test_each_ground_of_the_survivor_prosecuted(kwargs, timeline, expected):
    grounds = survivor_grounds(timeline, date(2024, 2, 26), **kwargs)
    assert [(g.id, g.events) for g in grounds] == expected
    flagged = [f for f in derive_flags([TIMELINE[4]], LIMITS, date(2024, 3, 1),
                                       subject="survivor", grounds=grounds)
               if f.id == "survivor_prosecuted"]
    assert len(flagged) == (1 if expected else 0)
    if expected:
        assert flagged[0].params["grounds"] == [g for g, _ in expected]


def test_flag_texts_name_their_grounds_and_indicators_translated():
    (flag,) = derive_flags([], LIMITS, date(2025, 1, 1), subject="survivor",
                           grounds=survivor_grounds([TIMELINE[2]], None))
    assert "documented on the timeline" in flag.text()
    translated = flag.text(lambda s: "»" + s)
    assert translated.startswith("»The survivor") and "»the abuse documented" in translated


def test_an_appeal_out_of_time_years_later_counts_only_its_own_stretch():
    # Convicted (final once the appeal was decided), reopened eight years later by the
    # accused's own appeal out of time: the years between are not the courts' delay.
    events = [ev(1, "arrest", "2010-08-15", subject="survivor"),
              ev(2, "verdict", "2011-06-23", outcome="convicted"),
              ev(3, "appeal", "2011-11-24", outcome="reduced", final=True),
              ev(4, "court_decision", "2018-03-01", outcome="granted"),
              ev(5, "appeal", "2019-02-28", outcome="retrial"),
              ev(6, "verdict", "2019-06-07", outcome="convicted", final=True)]
    length = proceedings_length(events, date(2026, 1, 1), "survivor")
    assert length is not None and length.stretches == (
        (date(2010, 8, 15), date(2011, 11, 24)), (date(2018, 3, 1), date(2019, 6, 7)))
    assert length.months == 15 + 15 and length.end_event == 6
    assert "unreasonable_length" not in ids(derive_flags(events, LIMITS, date(2026, 1, 1),
                                                         subject="survivor"))
    refused = [*events[:3], ev(4, "court_decision", "2018-03-01", outcome="refused")]
    assert proceedings_length(refused, date(2026, 1, 1)).months == 15
