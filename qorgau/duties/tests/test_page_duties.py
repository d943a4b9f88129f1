"""The case page's duties (duties.services.page_duties): counts by today's status, the
most urgent rows in urgency order, the first open safety-plan and re-assessment duties, for
the panels and the summary alike; restricted triggers hidden from those who may not see
them, rules gone from the profile left out. Held to a plain reading of every obligation."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from qorgau.cases import policy, services
from qorgau.cases.models import Event
from qorgau.cases.taxonomy import INSTITUTIONS
from qorgau.duties import engine, today
from qorgau.duties import services as duties
from qorgau.duties.models import Obligation
from qorgau.duties.tests.test_incremental import random_day

STATUSES = [engine.PENDING, engine.PENDING, engine.BREACHED, engine.MET, engine.NOT_APPLICABLE]
BEARERS = ["police", "prosecutor", "court", "organisation", "service_provider"]


def _timeline(case, alice, rng):
    law = duties.profile_for(case)
    kinds = sorted({kind for rule in law.rules for kind in engine.kinds_read(rule)}
                   - engine.FINDING_KINDS - {"death"})
    for step in range(40):
        services.record_event(case, alice, services.EventInput(
            kind=rng.choice(kinds), span=services.parse_span(random_day(rng)),
            source="official_record", reliability="confirmed", narrative=f"step {step}",
            institution=rng.choice(["", *INSTITUTIONS])))


def _scramble(case, rng, day):
    """Every status, due day and duty-bearer the page must sort and count."""
    for row in Obligation.objects.filter(case=case):
        due = rng.choice([None, day - timedelta(days=rng.randint(1, 60)), day,
                          day + timedelta(days=rng.randint(1, 60))])
        Obligation.objects.filter(pk=row.pk).update(
            status=rng.choice(STATUSES), due_latest=due, duty_bearer=rng.choice(BEARERS))
    # triggers only some readers see (a restricted kind; no rule reads one today)
    triggers = sorted(set(Obligation.objects.filter(case=case).values_list("trigger_id",
                                                                             flat=True)))
    Event.objects.filter(pk__in=rng.sample(triggers, 3)).update(kind="self_harm")
    # a rule that has left its profile since
    Obligation.objects.filter(pk=Obligation.objects.filter(case=case).first().pk).update(
        rule_id="kz.no-such-rule")


def _expected(case, day):
    sees = policy.sees_restricted(case)
    law = duties.profile_for(case)
    known = {rule.id for rule in law.rules}
    rows = [o for o in Obligation.objects.filter(case=case).select_related("trigger")
            if policy.kind_visible(o.trigger.kind, sees) and o.rule_id in known]
    now = {o.pk: engine.current_status(o.status, o.due_latest, day) for o in rows}
    counts = {status: 0 for status in engine.STATUSES}
    for o in rows:
        counts[now[o.pk]] += 1
    urgent = sorted(rows, key=lambda o: (duties.URGENCY[now[o.pk]], o.due_latest or date.max,
                                         o.rule_id, o.trigger.number))[:duties.PANEL_DUTIES]
    by_due = sorted(rows, key=lambda o: (o.due_latest or date.max, o.rule_id, o.trigger.number))
    open_risk: dict[str, int] = {}
    for o in by_due:
        if o.family in duties.RISK_FAMILIES and o.status in (engine.PENDING, engine.BREACHED):
            open_risk.setdefault(o.family, o.pk)
    groups: dict[tuple, tuple[int, date | None]] = {}
    for o in rows:
        key = (o.profile, o.rule_id, o.family, o.duty_bearer, o.status, now[o.pk])
        n, first = groups.get(key, (0, None))
        due = min(d for d in (first, o.due_latest) if d) if (first or o.due_latest) else None
        groups[key] = (n + 1, due)
    return counts, [o.pk for o in urgent], open_risk, groups


def _complain(case, alice):
    """A complaint linked to the trigger of one of the case's duties (its breach then waits
    for no decision)."""
    target = Obligation.objects.filter(case=case).select_related("trigger").last().trigger
    services.record_event(case, alice, services.EventInput(
        kind="complaint_official", span=services.parse_span(random_day(random.Random(0))),
        source="document", reliability="confirmed", narrative="complaint",
        links=[(target, "related_to")]))
    return target.pk


def _failures(case):
    """The authorities' stored breaches the reader sees, rules still in the profile."""
    known = {rule.id for rule in duties.profile_for(case).rules}
    return [o for o in Obligation.objects.filter(case=case, status=engine.BREACHED)
            .for_reader(policy.sees_restricted(case)).exclude(duty_bearer__in=today.OWN_BEARERS)
            .annotate(escalated=today.escalated(), declined=today.declined())
            if o.rule_id in known]


def _waiting(case):
    """The failures waiting for a decision, read plainly: no complaint, no decision."""
    return sum(1 for o in _failures(case) if not o.escalated and not o.declined)


def _unsettled(case):
    return {o.trigger_id for o in _failures(case) if not o.escalated and not o.declined}


def test_the_page_shows_what_reading_every_obligation_would(org, alice):
    day = timezone.localdate()
    seen: set[int] = set()  # failures waiting, over the cases and readers
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        case = services.create_case(org, alice, region="kz-west")
        _timeline(case, alice, rng)
        complained = _complain(case, alice)
        _scramble(case, rng, day)
        Obligation.objects.filter(case=case, trigger_id=complained).update(
            status=engine.BREACHED, duty_bearer="prosecutor")
        breached = (Obligation.objects.filter(case=case, status=engine.BREACHED)
                    .exclude(duty_bearer__in=today.OWN_BEARERS)
                    .exclude(trigger_id=complained).first())
        today.decline(case, alice, "handled by the lawyer", [breached.trigger.number])
        for sees in (True, False):
            case.sees_restricted = sees
            case.__dict__.pop("_page_duties", None)
            page = duties.page_duties(case, day)
            counts, urgent, open_risk, groups = _expected(case, day)
            assert sum(counts.values()) > duties.PANEL_DUTIES  # the panel leaves some out
            assert page.counts() == counts
            assert [row.pk for row in page.urgent] == urgent
            assert {family: row.pk for family, row in page.open_risk.items()} == open_risk
            assert {(g.profile, g.rule_id, g.family, g.duty_bearer, g.stored, g.status):
                    (g.n, g.first_due) for g in page.groups} == groups
            waiting = today.authority_failures_of(case, page.breached)
            assert waiting == _waiting(case)
            seen.add(waiting)
            assert complained in {t for _b, t in page.breached} or not sees
            assert complained not in _unsettled(case)
            assert breached.trigger_id not in _unsettled(case)
        hidden = Obligation.objects.filter(
            case=case, trigger__kind__in=policy.hidden_kinds(False)).count()
        assert hidden, "the timeline has a restricted trigger to hide"
    assert max(seen) > 0, seen


def test_the_page_read_again_after_an_event_sees_its_duties(case, alice):
    """The same case object, read for the page, then given an event, then read again (the
    light events it keeps are read again, not reused)."""
    case.sees_restricted = True
    services.record_event(case, alice, services.EventInput(
        kind="physical_assault", span=services.parse_span("2024-01-05"), source="survivor",
        reliability="probable"))
    before = sum(duties.page_duties(case).counts().values())
    services.record_event(case, alice, services.EventInput(
        kind="police_report", span=services.parse_span("2024-01-06"), source="survivor",
        reliability="probable"))
    after = duties.page_duties(case)
    assert sum(after.counts().values()) > before
    assert sum(after.counts().values()) == Obligation.objects.filter(case=case).count()
