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
