"""A write derives again only the rules that read the kinds it added (issue 33: a write's
cost must not grow with the case). Whatever path a write takes, the stored obligations must
be exactly those a full derivation gives: random timelines are recorded one event at a time
(links, undated events, corrections, a death among them) and compared after every write."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qorgau.cases import services
from qorgau.cases.models import Event
from qorgau.cases.taxonomy import INSTITUTIONS, LINK_KINDS
from qorgau.duties import bulk, engine
from qorgau.duties import services as duties
from qorgau.duties.models import Obligation


def stored(case):
    return set(Obligation.objects.filter(case=case).values_list(*bulk.CONTENT))


def derived(case, today=None):
    """The rows a full derivation stores, as of `today`."""
    today = today or timezone.localdate()
    facts = duties.facts_for(case)
    profile = duties.profile_for(case)
    return {bulk._content(o, case.organisation_id, profile, facts.event_ids)
            for o in engine.derive(profile, facts.facts, today,
                                   duties.case_context(case.region, case.mode, facts.facts))}


def random_day(rng: random.Random) -> str:
    year = rng.randint(2019, 2026)
    shape = rng.random()
    if shape < 0.1:
        return ""  # date unknown
    if shape < 0.25:
        return f"{year}-{rng.randint(1, 12):02d}"
    day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return min(day, timezone.localdate().isoformat())


def test_rules_reading_follows_kinds_and_replacements():
    from qorgau.duties import profiles

    law = profiles.cached("kz", str(duties.profiles_dir()))
    assert engine.rules_reading(law, ["no_such_kind"]) == ()
    for rule in law.rules:
        chosen = {r.id for r in engine.rules_reading(law, rule.trigger.kinds)}
        assert rule.id in chosen
        assert set(rule.replaces) <= chosen
    # every finding can breach any duty
    assert len(engine.rules_reading(law, engine.FINDING_KINDS)) == len(law.rules)


@pytest.mark.parametrize(("profile", "region", "seed"), [
    ("kz", "kz-west", 1), ("kz", "kz-west", 2), ("kg", "KG-GB", 3), ("intl", "TR-34", 4)])
def test_every_write_leaves_what_a_full_derivation_gives(org, alice, profile, region, seed):
    rng = random.Random(seed)
    case = services.create_case(org, alice, region=region, profile=profile)
    law = duties.profile_for(case)
    kinds = sorted({kind for rule in law.rules for kind in engine.kinds_read(rule)}
                   - engine.FINDING_KINDS - {"death"})
    recorded: list[Event] = []
    incremental = 0
    for step in range(45):
        roll = rng.random()
        kind = rng.choice(kinds)
        if roll < 0.03:
            kind = "death"
        elif roll < 0.06:
            kind = rng.choice(sorted(engine.FINDING_KINDS))
        data = services.EventInput(
            kind=kind, span=services.parse_span(random_day(rng)), source="official_record",
            reliability="confirmed", narrative=f"step {step}",
            institution=rng.choice(["", *INSTITUTIONS]))
        if recorded and rng.random() < 0.35:
            data.links = [(rng.choice(recorded), rng.choice(sorted(LINK_KINDS)))]
        try:
            if recorded and rng.random() < 0.07:
                original = rng.choice([e for e in recorded if e.kind != "death"] or recorded)
                event = services.correct_event(original, alice, data, "a date was wrong")
                recorded.remove(original)
            else:
                event = services.record_event(case, alice, data)
                incremental += kind != "death"
        except ValidationError:
            continue  # an input the services refuse is not a timeline
        recorded.append(event)
        assert stored(case) == derived(case), f"step {step}: {kind}"
    assert incremental >= 30 and Obligation.objects.filter(case=case).exists()


def test_a_duty_fallen_due_since_is_derived_again_with_the_write(case, alice):
    """A write long after the last one: the rows a full derivation would move (pending
    duties fallen due) move too, whatever kinds the write added."""
    services.record_event(case, alice, services.EventInput(
        kind="police_report", span=services.parse_span(timezone.localdate().isoformat()),
        source="survivor", reliability="probable"))
    pending = Obligation.objects.filter(case=case, status=engine.PENDING).exclude(
        due_latest=None)
    assert pending.exists(), "a report made today leaves duties pending"
    later = timezone.localdate() + timedelta(days=400)
    duties.refresh_case(case, today=later, kinds={"psychological_abuse"})
    assert stored(case) == derived(case, later)
    assert not Obligation.objects.filter(case=case, status=engine.PENDING,
                                         due_latest__lt=later).exists()


def _timeline(case, alice, length: int, first: int = 0) -> None:
    kinds = ("physical_assault", "police_report", "psychological_abuse", "threat_to_kill",
             "referral_made", "risk_assessment")
    batch = services.CaseBatch(case, alice)
    for n in range(first, first + length):
        batch.add_event(services.EventInput(
            kind=kinds[n % len(kinds)], span=services.parse_span(
                f"{2015 + n % 9}-{1 + n % 12:02d}-{1 + n % 28:02d}"),
            source="survivor", reliability="probable", institution="police"))
    batch.write()


def test_a_write_reads_the_events_around_it_not_the_whole_case(case, alice, monkeypatch):
    """The ordinary write (a few events, no correction, finding or death) derives only the
    triggers it can change, from the events around them: no whole-case read, and as many
    queries on a long case as on a short one."""
    whole_case_reads = []
    real = duties.facts_for
    def counted(c):
        whole_case_reads.append(c.pk)
        return real(c)

    monkeypatch.setattr(duties, "facts_for", counted)
    _timeline(case, alice, 30)
    assert whole_case_reads == [case.pk], "a batch of 30 (an import) reads the whole case"

    def write(n: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            services.record_event(case, alice, services.EventInput(
                kind=("police_report", "referral_made")[n % 2],
                span=services.parse_span(f"2024-0{1 + n % 9}-1{n % 10}"),
                source="survivor", reliability="probable", institution="police"))
        return len(queries)

    short = [write(n) for n in range(4)]
    _timeline(case, alice, 300, first=30)
    whole_case_reads.clear()
    long = [write(n) for n in range(4)]
    assert whole_case_reads == []
    assert max(long) <= max(short), (short, long)
    assert stored(case) == derived(case)


def test_a_write_long_after_the_last_moves_duties_fallen_due(case, alice):
    """The local path too: pending duties fallen due since are derived with the write."""
    services.record_event(case, alice, services.EventInput(
        kind="police_report", span=services.parse_span("2020-05-04"), source="survivor",
        reliability="probable"))  # the first report: today's is not the risk assessment's
    services.record_event(case, alice, services.EventInput(
        kind="police_report", span=services.parse_span(timezone.localdate().isoformat()),
        source="survivor", reliability="probable"))
    pending = Obligation.objects.filter(case=case, status=engine.PENDING).exclude(
        due_latest=None)
    first_due = pending.order_by("due_latest")[0].due_latest
    assert first_due is not None
    later = first_due + timedelta(days=1)
    added = services.record_event(case, alice, services.EventInput(
        kind="psychological_abuse", span=services.parse_span("2020"), source="survivor",
        reliability="probable"))
    profile = duties.profile_for(case)
    assert duties._rules_to_derive(case, profile, {added.kind}, later) is not profile.rules
    duties.refresh_case(case, today=later, kinds={added.kind}, events=[added.pk])
    assert stored(case) == derived(case, later)


def test_an_earlier_risk_assessment_makes_later_events_call_for_reassessment(case, alice):
    """A `preceded_by` rule: events after the first risk assessment call for a new one, so
    an assessment recorded as earlier than every other brings in the triggers after it."""
    def record(kind: str, day: str) -> Event:
        return services.record_event(case, alice, services.EventInput(
            kind=kind, span=services.parse_span(day), source="official_record",
            reliability="confirmed",
            institution="organisation" if kind == "risk_assessment" else "police"))

    record("risk_assessment", "2024-06-01")
    for day in ("2023-03-01", "2023-09-01", "2024-08-01"):
        record("strangulation", day)
    reassessments = Obligation.objects.filter(case=case, rule_id="intl.risk-reassessment")
    assert reassessments.count() == 1  # only the event after the first assessment
    record("risk_assessment", "2023-01-15")
    assert stored(case) == derived(case)
    assert reassessments.count() == 3
