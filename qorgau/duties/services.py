"""Obligations kept in step with a case's events, and escalation letters.

`refresh_case` runs inside the transaction that recorded the events (through the
`events_changed` signal), so the stored obligations never disagree with the timeline.
Letters are case records: every write goes through a function here that appends the case's
ledger entry in the same transaction.
"""

from __future__ import annotations

import heapq
import json
import re
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from qorgau.accounts.models import Role, User
from qorgau.accounts.services import role_in
from qorgau.cases import erasure, ledger, policy, records, regions, taxonomy
from qorgau.cases import services as case_services
from qorgau.cases.dates import DateError, DateSpan
from qorgau.cases.models import Case, Event, EventLink
from qorgau.cases.templatetags.qorgau_cases import format_day, format_span
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.duties import engine, letters, local, profiles, treaties
from qorgau.duties.models import Letter, Obligation
from qorgau.evidence.models import Exhibit

LETTER_LANGUAGES = ("ru", "kk", "en")


def profiles_dir() -> Path:
    return Path(settings.QORGAU_PROFILES_DIR)


def check_profiles() -> dict[str, profiles.Profile]:
    """Every shipped profile, validated; a broken one stops start-up with its reason."""
    try:
        loaded = profiles.load_all(profiles_dir())
    except profiles.ProfileError as exc:
        raise ImproperlyConfigured(f"Jurisdiction profile error: {exc}") from exc
    try:  # the offices letters are addressed to, checked against the profiles' bearers
        letters.load(profiles_dir(), {pid: frozenset(p.duty_bearers)
                                      for pid, p in loaded.items()})
    except letters.AddresseeError as exc:
        raise ImproperlyConfigured(f"Letter addressees error: {exc}") from exc
    return loaded


def profile_for(case: Case) -> profiles.Profile:
    return profiles.cached(case.profile, str(profiles_dir()))


# --- facts and obligations -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    facts: list[engine.Fact]
    event_ids: dict[int, int]  # number -> id of the current event


# Columns of the events that facts are built from (facts_for and the bulk recompute).
FACT_COLUMNS = ("id", "number", "kind", "when_start", "when_end", "qualifier", "recurrence",
                "attributes", "institution", "supersedes_id")
_SPANS: dict[tuple[str, str, str, str], DateSpan] = {}


def _span(start: str, end: str, qualifier: str, recurrence: str) -> DateSpan:
    """The parsed span (spans are immutable; the same dates recur across cases)."""
    key = (start, end, qualifier, recurrence)
    span = _SPANS.get(key)
    if span is None:
        try:
            span = DateSpan.parse(start, end, qualifier, recurrence)
        except DateError:
            span = DateSpan()
        if len(_SPANS) > 200_000:
            _SPANS.clear()
        _SPANS[key] = span
    return span


def facts_from(rows: Iterable[Sequence[Any]], links: Iterable[Sequence[int]]) -> CaseFacts:
    """Engine facts from one case's event rows (FACT_COLUMNS; the attributes decoded, or
    their JSON text) and its links (source id, target id): superseded events left out,
    links followed to the newest correction."""
    rows = list(rows)
    successor = {row[9]: row[0] for row in rows if row[9] is not None}

    def newest(event_id: int) -> int:
        while event_id in successor:
            event_id = successor[event_id]
        return event_id

    number_of = {row[0]: row[1] for row in rows}
    linked: dict[int, set[int]] = {}
    for source, target in links:
        linked.setdefault(source, set()).add(number_of[newest(target)])
    facts = []
    event_ids = {}
    for (pk, number, kind, start, end, qualifier, recurrence, attributes, institution,
         _sup) in rows:
        if pk in successor:
            continue  # corrected: its successor speaks for it
        if attributes.__class__ is str:  # raw rows: JSON text, most often empty
            attributes = {} if attributes == "{}" else json.loads(attributes)
        facts.append(engine.Fact(number, kind, _span(start, end, qualifier, recurrence),
                                 attributes or {}, institution,
                                 tuple(sorted(linked.get(pk, set()) - {number}))))
        event_ids[number] = pk
    return CaseFacts(facts, event_ids)


def facts_for(case: Case) -> CaseFacts:
    """The case's current events as engine facts (2 queries, whatever the case's length)."""
    rows = Event.objects.filter(case=case).values_list(*FACT_COLUMNS)
    links = EventLink.objects.filter(source__case=case).values_list("source_id", "target_id")
    return facts_from(rows, links)


def survivor_died(facts: Iterable[engine.Fact]) -> date | None:
    """The earliest possible day of the survivor's recorded death, if any."""
    days = [f.earliest for f in facts if f.kind == "death"
            and f.attributes.get("subject", "survivor") == "survivor" and f.earliest]
    return min(days) if days else None


def case_context(region: str, mode: str, facts: Iterable[engine.Fact]) -> engine.Context:
    """What the engine needs of a case beyond its events: the treaties binding its state,
    whether it is reconstructed from documents, the survivor's death."""
    state = regions.country_of(region) if region else ""
    law = treaties.cached(str(profiles_dir()))

    def binds(instrument: str, day: date) -> bool:
        return law.binds(state, instrument, day)

    return engine.Context(monitoring=mode == Case.Mode.MONITORING, binds=binds,
                          died=survivor_died(facts))


def trigger_day(row: Obligation) -> date | None:
    """The earliest day of an obligation's triggering event (None if undated)."""
    try:
        return row.trigger.span.earliest()
    except (DateError, ValueError):
        return None


def instruments_on(region: str, rule: profiles.Rule, day: date | None,
                   language: str) -> tuple[list[str], list[str]]:
    """The titles of the instruments a rule rests on that bound the case's state on `day`,
    and of those it names only as good practice (never to be shown as an obligation)."""
    if not rule.instruments:
        return [], []
    law = treaties.cached(str(profiles_dir()))
    state = regions.country_of(region) if region else ""
    basis = law.basis_for(state, day or timezone.localdate(), rule.instruments)
    return ([law.title(i, language) for i in (*basis.binding, *basis.interpretations)],
            [law.title(i, language) for i in basis.good_practice])


def derive(case: Case, today: date | None = None) -> tuple[list[engine.Obligation], CaseFacts]:
    case_facts = facts_for(case)
    today = today or timezone.localdate()
    return engine.derive(profile_for(case), case_facts.facts, today,
                         case_context(case.region, case.mode, case_facts.facts)), case_facts


def _rows(case: Case, obligations: Iterable[engine.Obligation], case_facts: CaseFacts,
          profile: profiles.Profile) -> list[Obligation]:
    now = timezone.now()
    ids = case_facts.event_ids
    return [
        Obligation(
            case=case, organisation_id=case.organisation_id, profile=profile.id,
            rule_id=o.rule.id, family=o.rule.family, duty_bearer=o.bearer or o.rule.duty_bearer,
            trigger_id=ids[o.trigger],
            satisfied_by_id=ids[o.satisfied_by] if o.satisfied_by else None,
            status=o.status, due_earliest=o.due_earliest, due_latest=o.due_latest,
            late=o.late, confirmed=o.rule.confirmed, reason=o.reason, grounds=o.grounds,
            computed_at=now,
        )
        for o in obligations
    ]


def _signature(rows: Iterable[Obligation]) -> list[list[Any]]:
    return signature((o.rule_id, o.trigger_id, o.satisfied_by_id, o.status, o.due_latest, o.late)
                     for o in rows)


def signature(values: Iterable[tuple[str, int, int | None, str, date | None, bool]],
              ) -> list[list[Any]]:
    """What a recompute compares, and the ledger entry digests: (rule, trigger, satisfied
    by, status, latest due day, late) of each obligation."""
    return sorted([rule_id, trigger_id, satisfied_by_id, status,
                   due_latest.isoformat() if due_latest else None, late]
                  for rule_id, trigger_id, satisfied_by_id, status, due_latest, late in values)


def recompute_detail(profile: profiles.Profile, after: list[list[Any]]) -> dict[str, Any]:
    """The detail of a `duties.recompute` ledger entry."""
    return {"profile": profile.id, "version": profile.version,
            "obligations": len(after), "digest": ledger.digest(after)}


def refresh_case(case: Case, today: date | None = None,
                 kinds: Collection[str] | None = None,
                 events: Collection[int] | None = None) -> int:
    """Bring the case's stored obligations in step with its events (inside the transaction
    that changed them); the number of rows deleted or inserted.

    `kinds`: the kinds of the events just added, none of them a correction or a death.
    Then only the rules that read those kinds are derived again (engine.rules_reading),
    with every rule that has a pending duty fallen due since and, when a rule's law came
    into or went out of force since the case was last computed, all of them. `events`:
    the ids of those events; when they are few, only the triggers they can change are
    derived, from the events around them (qorgau.duties.local). Either way the stored
    obligations end as a full derivation would leave them (verify --duties compares).
    Rows are compared, and only those that changed are written."""
    today = today or timezone.localdate()
    profile = profile_for(case)
    case.__dict__.pop("_page_duties", None)
    stored = Obligation.objects.filter(case=case)
    rules = None
    if kinds is not None:
        rules = _rules_to_derive(case, profile, kinds, today)
        if not rules:
            return 0
        stored = stored.filter(rule_id__in=[rule.id for rule in rules])
        if events and len(events) <= local.MAX_EVENTS and rules is not profile.rules:
            near = local.Neighbourhood(case)
            seeds = local.seeds(case, near, rules, events, today)
            if seeds is not None:
                obligations, event_ids = local.derive_around(case, near, profile, rules,
                                                             seeds, today)
                return _write_changes(case, profile, obligations, event_ids,
                                      stored.filter(trigger_id__in=seeds))
    case_facts = facts_for(case)
    obligations = engine.derive(profile, case_facts.facts, today,
                                case_context(case.region, case.mode, case_facts.facts), rules)
    return _write_changes(case, profile, obligations, case_facts.event_ids, stored)


def _write_changes(case: Case, profile: profiles.Profile,
                   obligations: Iterable[engine.Obligation], event_ids: dict[int, int],
                   stored: Any) -> int:
    """Replace the `stored` rows by the derived `obligations`, writing only differences."""
    from qorgau.duties import bulk  # bulk reads this module's facts

    new = {bulk._content(o, case.organisation_id, profile, event_ids) for o in obligations}
    old = {tuple(row[1:]): row[0] for row in stored.values_list("id", *bulk.CONTENT)}
    deletes = [pk for content, pk in old.items() if content not in new]
    inserts = [(case.pk, *content) for content in new if content not in old]
    bulk._delete(deletes)
    bulk._insert(inserts)
    return len(deletes) + len(inserts)


def _rules_to_derive(case: Case, profile: profiles.Profile, kinds: Collection[str],
                     today: date) -> tuple[profiles.Rule, ...]:
    stored = Obligation.objects.filter(case=case)
    oldest = stored.aggregate(day=Min("computed_at"))["day"]
    if oldest is not None:
        since = timezone.localdate(oldest)
        if any(since < day <= today for rule in profile.rules
               for day in (rule.effective_from, rule.effective_to) if day is not None):
            return profile.rules  # a law changed meanwhile: undated triggers read today's
    fallen = set(stored.filter(status=engine.PENDING, due_latest__lt=today)
                 .values_list("rule_id", flat=True).distinct())
    return engine.rules_reading(profile, kinds, fallen)


def on_events_changed(sender: Any, case: Case, kinds: Collection[str] | None = None,
                      events: Collection[int] | None = None, **kwargs: Any) -> None:
    if kinds is not None and "death" in kinds:
        kinds = None  # the survivor's death changes what every duty owes (case_context)
    refresh_case(case, kinds=kinds, events=events)


@transaction.atomic
def recompute(case: Case, by: User | None = None, today: date | None = None) -> bool:
    """Re-derive after a profile change; on the ledger when anything changed."""
    before = _signature(Obligation.objects.filter(case=case))
    refresh_case(case, today)
    after = _signature(Obligation.objects.filter(case=case))
    if before == after:
        return False
    case_services.append(case, by, "duties.recompute", f"case:{case.pk}",
                         detail=recompute_detail(profile_for(case), after))
    return True


def visible_obligations(case: Case) -> list[Obligation]:
    """The case's obligations the viewer may see (restricted triggers hidden), by due date."""
    rows = (Obligation.objects.filter(case=case).for_reader(policy.sees_restricted(case))
            .select_related("trigger", "satisfied_by"))
    found = list(rows.order_by("due_latest", "rule_id", "trigger__number"))
    for row in found:
        row.case = case
    return found


class PageObligation(NamedTuple):
    """An obligation as the case page's panels first read it: a tuple, no event rows and
    nothing decrypted, so that counting hundreds of them costs little."""

    pk: int
    profile: str
    rule_id: str
    family: str
    status: str
    due_latest: date | None
    late: bool
    reason: str
    trigger_id: int
    trigger_number: int
    trigger_kind: str
    satisfied_by_id: int | None
    satisfied_by_number: int | None
    duty_bearer: str = ""
    grounds: str = ""
    trigger_when: tuple[str, str, str, str] = ("", "", "", "")

    def obligation(self, case: Case) -> Obligation:
        """The model row, for one the page shows (its events carry number and kind)."""
        satisfied_by = None
        if self.satisfied_by_id and self.satisfied_by_number is not None:
            satisfied_by = Event(pk=self.satisfied_by_id, case=case,
                                 number=self.satisfied_by_number)
        return Obligation(
            pk=self.pk, case=case, profile=self.profile, rule_id=self.rule_id,
            family=self.family, status=self.status, due_latest=self.due_latest,
            late=self.late, reason=self.reason, duty_bearer=self.duty_bearer,
            grounds=self.grounds,
            trigger=Event(pk=self.trigger_id, case=case, number=self.trigger_number,
                          kind=self.trigger_kind, when_start=self.trigger_when[0],
                          when_end=self.trigger_when[1], qualifier=self.trigger_when[2],
                          recurrence=self.trigger_when[3]),
            satisfied_by=satisfied_by)


class DutyGroup(NamedTuple):
    """How many of a case's visible obligations share a rule, a duty-bearer and a status as
    of today, and the earliest last due day among them."""

    profile: str
    rule_id: str
    family: str
    duty_bearer: str
    stored: str  # the status stored (a breach the authorities' failures list shows)
    status: str  # as of today: a pending duty past its last due day is breached
    n: int  # how many
    first_due: date | None


@dataclass(frozen=True)
class PageDuties:
    """What the case page's panels show of its duties: the obligations counted in groups,
    and the rows shown (the most urgent, and the first open safety-plan and re-assessment
    duties)."""

    groups: list[DutyGroup]  # rules still in their profile only
    urgent: list[PageObligation]  # the PANEL_DUTIES most urgent, most urgent first
    open_risk: dict[str, PageObligation]  # family -> its first open duty by due day
    breached: list[tuple[str, int]]  # (duty-bearer, trigger id) of each stored breach

    def counts(self) -> dict[str, int]:
        found = {status: 0 for status in engine.STATUSES}
        for group in self.groups:
            found[group.status] += group.n
        return found

    def first(self, groups: Iterable[DutyGroup]) -> DutyGroup | None:
        """The group holding the earliest due day (then the first rule), as a list in due
        order would show first."""
        return min(groups, key=lambda g: (g.first_due or date.max, g.rule_id), default=None)


URGENCY = {engine.BREACHED: 0, engine.PENDING: 1, engine.NO_RECORD: 2, engine.MET: 3,
           engine.NOT_APPLICABLE: 4}  # the order duties are shown in
PANEL_DUTIES = 10  # the duties panel shows the most urgent; the duties page has them all
RISK_FAMILIES = ("intl.safety-plan", "intl.risk-reassessment")
_PAGE_OWN = (*PageObligation._fields[:8], "trigger_id", "satisfied_by_id", "duty_bearer",
             "grounds")


def _known_rules(profile_id: str) -> frozenset[str]:
    return frozenset(rule.id for rule in profiles.cached(profile_id, str(profiles_dir())).rules)


def _page_row(row: tuple[Any, ...], events: dict[int, case_services.LightEvent],
              ) -> PageObligation:
    """One obligation of the page's read as a PageObligation, its events' numbers and
    dates taken from the case's light events."""
    (pk, profile, rule_id, family, status, due_latest, late, reason, trigger_id,
     satisfied_by_id, duty_bearer, grounds) = row
    trigger = events[trigger_id]
    satisfied = events.get(satisfied_by_id) if satisfied_by_id else None
    return PageObligation(
        pk, profile, rule_id, family, status, due_latest, late, reason, trigger_id,
        trigger.number, trigger.kind, satisfied_by_id, satisfied.number if satisfied else None,
        duty_bearer, grounds,
        (trigger.when_start, trigger.when_end, trigger.qualifier, trigger.recurrence))


def page_duties(case: Case, today: date | None = None) -> PageDuties:
    """The case page's duties as its reader may see them, counted in one pass over a light
    read of every obligation (tuples: nothing decrypted), joined here to the case's light
    events (read once for the page); kept on the case object the view loaded, refresh_case
    forgets it. Obligations whose rule has left its profile are left out, as on the duties
    page. Joined in SQL, PostgreSQL costed a probe per obligation above a parallel scan of
    every case's obligations and chose the scan (22-27 ms at 831 obligations, against about
    2); counting in SQL and reading only the rows shown cost more than this read."""
    found: PageDuties | None = getattr(case, "_page_duties", None)
    if found is not None:
        return found
    today = today or timezone.localdate()
    events = case_services.light_events(case)
    sees = policy.sees_restricted(case)
    known: dict[str, frozenset[str]] = {}
    counted: dict[tuple[str, str, str, str, str, str], list[Any]] = {}
    ranked = []
    breached = []
    firsts: dict[str, tuple[tuple[date, str, int], tuple[Any, ...]]] = {}
    open_statuses = (engine.PENDING, engine.BREACHED)
    for row in Obligation.objects.filter(case=case).values_list(*_PAGE_OWN):
        (_pk, profile, rule_id, family, status, due_latest, _late, _reason, trigger_id,
         _satisfied_by_id, duty_bearer, _grounds) = row
        if profile not in known:
            known[profile] = _known_rules(profile)
        if rule_id not in known[profile]:
            continue
        trigger = events[trigger_id]
        if not policy.kind_visible(trigger.kind, sees):  # as Obligation.for_reader
            continue
        if status == engine.BREACHED:
            breached.append((duty_bearer, trigger_id))
        now = engine.current_status(status, due_latest, today)
        group = counted.setdefault((profile, rule_id, family, duty_bearer, status, now),
                                   [0, None])
        group[0] += 1
        if due_latest and (group[1] is None or due_latest < group[1]):
            group[1] = due_latest
        key = (URGENCY[now], due_latest or date.max, rule_id, trigger.number)
        ranked.append((key, row))
        # each risk family's first open duty by due day
        if (family in RISK_FAMILIES and status in open_statuses
                and (family not in firsts or key[1:] < firsts[family][0])):
            firsts[family] = (key[1:], row)
    groups = [DutyGroup(*key, n, first) for key, (n, first) in counted.items()]
    urgent = [_page_row(row, events) for _key, row in
              heapq.nsmallest(PANEL_DUTIES, ranked, key=lambda k: k[0])]
    open_risk = {family: _page_row(row, events) for family, (_due, row) in firsts.items()}
    found = PageDuties(groups, urgent, open_risk, breached)
    case._page_duties = found  # type: ignore[attr-defined]
    return found


# --- letters -------------------------------------------------------------------------------


def letter_record(letter: Letter) -> dict[str, Any]:
    record = {
        "id": letter.pk, "case": letter.case_id, "template": letter.template,
        "language": letter.language, "addressee": letter.addressee, "title": letter.title,
        "body": letter.body, "status": letter.status, "covers": letter.covers,
        "sent_event": letter.sent_event.number if letter.sent_event else None,
        "created_by": letter.created_by_id, "salt": letter.salt,
    }
    # Digested only when set: letters drafted before the layout and the approval keep
    # the digest their ledger entries made.
    for key in ("addressee_block", "applicant_block", "signature_block", "attachments",
                "exhibits"):
        if getattr(letter, key):
            record[key] = getattr(letter, key)
    if letter.approved_by_id:
        record["approved_by"] = letter.approved_by_id
        record["approved_at"] = letter.approved_at.isoformat() if letter.approved_at else None
    return record


def letter_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: the cases' letters as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for letter in Letter.objects.filter(case_id__in=case_ids).select_related("sent_event"):
        found[letter.case_id][f"letter:{letter.pk}"] = letter_record(letter)
    return found


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): the case's letters and obligations."""
    return erasure.delete(Obligation.objects.filter(case=case), Letter.objects.filter(case=case))


def escalations(case: Case, rows: list[Obligation] | None = None,
                ) -> dict[str, list[Obligation]]:
    """Breached obligations with an escalation, by letter template."""
    profile = profile_for(case)
    today = timezone.localdate()
    found: dict[str, list[Obligation]] = {}
    for obligation in visible_obligations(case) if rows is None else rows:
        status = engine.current_status(obligation.status, obligation.due_latest, today)
        rule = _rule(profile, obligation.rule_id)
        if status == engine.BREACHED and rule and rule.escalation_template:
            found.setdefault(rule.escalation_template, []).append(obligation)
    return found


def _rule(profile: profiles.Profile, rule_id: str) -> profiles.Rule | None:
    try:
        return profile.rule(rule_id)
    except KeyError:
        return None


def _recorded(o: Obligation) -> dict[str, Any]:
    """The event a breach rests on when it is a recorded refusal, non-response or finding."""
    event = o.satisfied_by if o.grounds == engine.ON_RECORD else None
    if event is None or event.kind not in taxonomy.BY_ID or policy.is_restricted(event.kind):
        return {}
    return {"recorded_kind": _(taxonomy.BY_ID[event.kind].label),
            "recorded_date": format_span(event.span)}


def letter_obligations(obligations: Iterable[Obligation]) -> list[Obligation]:
    """What a letter may complain of: never a duty arising from a restricted event."""
    return [o for o in obligations if not policy.is_restricted(o.trigger.kind)]


# The columns a statement of facts reads (nothing encrypted: no narratives, no places).
_FACT_FIELDS = ("id", "number", "kind", "when_start", "when_end", "qualifier", "recurrence",
                "institution", "supersedes_id")
# Kinds of the timeline a complaint states although no duty cited them: the violence, and
# her dealings with the authorities (our own organisation's steps are not facts for them).
_STATED_GROUPS = frozenset({"abuse", "response"})


def _day_of(event: Event) -> date:
    try:
        return event.span.earliest() or date.min
    except (DateError, ValueError):
        return date.min


def _fact_text(event: Event) -> str:
    kind = taxonomy.BY_ID[event.kind]
    text = _(kind.label)
    institution = event.institution
    if kind.group != "abuse" and institution in taxonomy.INSTITUTIONS and institution not in (
            "organisation", "other") and not event.kind.startswith(institution):
        text = f"{text} ({_(taxonomy.INSTITUTIONS[institution])})"
    return text


def statement_of_facts(case: Case, obligations: Sequence[Obligation]) -> list[Event]:
    """The events a complaint states, in date order: those its duties arise from or rest on,
    the events linked to them, every incident of violence and her dealings with the
    authorities; corrected events by their correction, restricted ones never."""
    rows = list(Event.objects.filter(case=case).only(*_FACT_FIELDS))
    superseded = {e.supersedes_id for e in rows if e.supersedes_id}
    current = {e.pk: e for e in rows
               if e.pk not in superseded and e.kind in taxonomy.BY_ID
               and not policy.is_restricted(e.kind)}
    cited = {o.trigger_id for o in obligations}
    cited |= {o.satisfied_by_id for o in obligations
              if o.satisfied_by_id and o.grounds == engine.ON_RECORD}
    linked = set()
    for source, target in EventLink.objects.filter(
            Q(source_id__in=cited) | Q(target_id__in=cited)).values_list("source_id",
                                                                           "target_id"):
        linked |= {source, target}
    chosen = [e for pk, e in current.items()
              if pk in cited or pk in linked or (
                  taxonomy.BY_ID[e.kind].group in _STATED_GROUPS
                  and e.institution != "organisation")]
    return sorted(chosen, key=lambda e: (_day_of(e), e.number))


def letter_exhibits(case: Case, events: Iterable[Event]) -> list[tuple[int, str]]:
    """(number, description) of the exhibits attached to the stated facts (thumbnails
    apart): the letter's attachments."""
    found = (Exhibit.objects.filter(case=case, event__in=[e.pk for e in events])
             .exclude(derivation=Exhibit.Derivation.THUMBNAIL).order_by("number"))
    return [(x.number, " ".join((x.description or x.title or "").split()) or x.original_name)
            for x in found]


def addressee_office(case: Case, bearer: str) -> letters.Office | None:
    """The office a letter to `bearer` about this case is written to."""
    return letters.cached(str(profiles_dir())).office(case.profile, bearer, case.region)


def _signatory(user: User, case: Case) -> tuple[str, str]:
    """(name, position) of whom the letter is drafted for signature by: the drafter."""
    role = role_in(user, case.organisation_id)
    position = str(Role(role).label) if role in Role.values else ""
    return user.get_full_name() or user.email, position


def letter_context(case: Case, template: str, language: str,
                   obligations: list[Obligation], by: User | None = None) -> dict[str, Any]:
    """What a letter template can use, in `language` (call under translation.override)."""
    profile = profile_for(case)
    survivor = case.parties.filter(role="survivor").first()
    obligations = letter_obligations(obligations)
    items = []
    for o in obligations:
        rule = _rule(profile, o.rule_id)
        if rule is None:
            continue
        kind = taxonomy.BY_ID[o.trigger.kind]
        items.append({
            "title": profiles.text_in(rule.title, language),
            "bearer": profile.bearer(o.duty_bearer or rule.duty_bearer, language),
            "event_kind": _(kind.label),
            "event_date": format_span(o.trigger.span),
            "due": format_day(o.due_latest),
            "basis": profiles.text_in(rule.basis, language),
            "binding": ", ".join(instruments_on(
                case.region, rule, trigger_day(o) or o.due_latest, language)[0]),
            "url": rule.url,
            **_recorded(o),
        })
    rules = [rule for o in obligations if (rule := _rule(profile, o.rule_id))]
    addressee = next((r.escalation_to for r in rules if r.escalation_to), "prosecutor")
    office = addressee_office(case, addressee)
    facts = statement_of_facts(case, obligations)
    exhibits = letter_exhibits(case, facts)
    name, position = _signatory(by or case.created_by, case) if (
        by or case.created_by_id) else ("", "")
    return {
        "case": case, "organisation": case.organisation, "survivor": survivor,
        "survivor_name": survivor.full_name if survivor else "",
        "region": regions.label(case.region, language) if case.region else "",
        "today": format_day(timezone.localdate()), "breaches": items,
        "facts": [{"date": capfirst(format_span(e.span)), "text": _fact_text(e)}
                  for e in facts],
        "attachments": [text for _number, text in exhibits],
        "exhibit_numbers": [number for number, _text in exhibits],
        "addressee": profile.bearer(addressee, language), "addressee_id": addressee,
        "addressee_to": office.line(language) if office else profile.bearer(addressee,
                                                                             language),
        "addressee_office": office.name(language) if office else "",
        "signatory_name": name, "signatory_position": position,
        "profile": profiles.text_in(profile.title, language),
    }


SECTIONS = ("addressee", "applicant", "title", "body", "signature", "attachments")
_SECTION = re.compile(r"\[(" + "|".join(SECTIONS) + r")\]")


def letter_sections(text: str) -> dict[str, str]:
    """A rendered template's sections ("[body]" and the like on a line of their own); a
    template without them is a title line and a body."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        match = _SECTION.fullmatch(line.strip())
        if match:
            current = match.group(1)
            found[current] = []
        elif current:
            found[current].append(line.rstrip())
    if "body" not in found:
        title, _sep, body = text.strip().partition("\n")
        return {"title": title.strip(), "body": body.strip()}
    return {key: re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
            for key, lines in found.items()}


class Draft(NamedTuple):
    addressee: str  # the duty bearer written to
    title: str
    body: str
    addressee_block: str
    applicant_block: str
    signature_block: str
    attachments: str
    exhibits: list[int]


def render_letter(case: Case, template: str, language: str,
                  obligations: list[Obligation], by: User | None = None) -> Draft:
    """A letter drafted from its per-profile template, in `language`."""
    path = profiles_dir() / "letters" / f"{template}.{language}.txt"
    with translation.override(language):
        context = letter_context(case, template, language, obligations, by)
        text = Template("{% autoescape off %}" + path.read_text("utf-8") + "{% endautoescape %}"
                        ).render(Context(context))
    parts = letter_sections(text)
    return Draft(context["addressee_id"], " ".join(parts.get("title", "").split()),
                 parts.get("body", "") + "\n", parts.get("addressee", ""),
                 parts.get("applicant", ""), parts.get("signature", ""),
                 parts.get("attachments", ""),
                 context["exhibit_numbers"] if context["attachments"] else [])


@transaction.atomic
def draft_letter(case: Case, by: User, template: str, language: str) -> Letter:
    if language not in LETTER_LANGUAGES:
        raise ValidationError({"language": _("Choose Russian, Kazakh or English.")})
    obligations = letter_obligations(escalations(case).get(template) or [])
    if not obligations:
        raise ValidationError(_("There is no breached duty to complain about."))
    draft = render_letter(case, template, language, obligations, by)
    letter = Letter.objects.create(
        case=case, template=template, language=language, addressee=draft.addressee,
        title=draft.title, body=draft.body, created_by=by, salt=secrets.token_hex(16),
        covers=[[o.rule_id, o.trigger.number] for o in obligations],
        addressee_block=draft.addressee_block, applicant_block=draft.applicant_block,
        signature_block=draft.signature_block, attachments=draft.attachments,
        exhibits=draft.exhibits,
    )
    case_services.append(case, by, "letter.create", f"letter:{letter.pk}",
                         letter_record(letter))
    return letter


def _editable(letter: Letter) -> None:
    if letter.status != Letter.Status.DRAFT:
        raise ValidationError(_("This letter has been sent; it can no longer be changed."))


def _approved(letter: Letter) -> None:
    if not letter.approved_by_id:
        raise ValidationError(_("This letter is waiting for approval by a lawyer or a "
                                "supervisor; it cannot leave the organisation before."))


# The blocks of a letter besides its title and body, as update_letter takes them.
BLOCKS = ("addressee_block", "applicant_block", "signature_block", "attachments")


@transaction.atomic
def update_letter(letter: Letter, by: User, title: str, body: str,
                  **blocks: str) -> Letter:
    """Change the letter's text; a change withdraws its approval (it needs a new one)."""
    _editable(letter)
    unknown = set(blocks) - set(BLOCKS)
    if unknown:
        raise TypeError(f"not a block of a letter: {', '.join(sorted(unknown))}")
    title, body = " ".join(title.split()), body.strip()
    if not title or not body:
        raise ValidationError(_("A letter needs a title and a text."))
    new = {"title": title, "body": body + "\n",
           **{key: "\n".join(line.rstrip() for line in value.strip().splitlines())
              for key, value in blocks.items()}}
    if all(getattr(letter, key) == value for key, value in new.items()):
        return letter  # nothing changed: the approval stands
    for key, value in new.items():
        setattr(letter, key, value)
    withdrawn = bool(letter.approved_by_id)
    letter.approved_by, letter.approved_at = None, None
    letter.save(update_fields=[*new, "approved_by", "approved_at", "updated_at"])
    case_services.append(letter.case, by, "letter.update", f"letter:{letter.pk}",
                         letter_record(letter),
                         {"approval_withdrawn": True} if withdrawn else None)
    return letter


APPROVERS = frozenset({Role.LAWYER, Role.SUPERVISOR, Role.ADMIN})


def can_approve(user: User, case: Case) -> bool:
    return role_in(user, case.organisation_id) in APPROVERS


@transaction.atomic
def approve_letter(letter: Letter, by: User) -> Letter:
    """A lawyer's or supervisor's approval: the letter may then be downloaded and sent."""
    _editable(letter)
    if not can_approve(by, letter.case):
        raise ValidationError(_("Only a lawyer or a supervisor can approve a letter."))
    if letter.approved_by_id:
        raise ValidationError(_("This letter is already approved."))
    letter.approved_by, letter.approved_at = by, timezone.now()
    letter.save(update_fields=["approved_by", "approved_at", "updated_at"])
    case_services.append(letter.case, by, "letter.approve", f"letter:{letter.pk}",
                         letter_record(letter))
    return letter


def review_checklist(letter: Letter, language: str) -> list[dict[str, str]]:
    """For the reviewer, beside the draft (never in the letter): the legal bases the
    letter rests on that are not confirmed against the primary text, with why."""
    profile = profile_for(letter.case)
    found, seen = [], set()
    for rule_id, _number in letter.covers:
        rule = _rule(profile, rule_id)
        if rule is None or rule.confirmed or rule_id in seen:
            continue
        seen.add(rule_id)
        found.append({"title": profiles.text_in(rule.title, language),
                      "basis": profiles.text_in(rule.basis, language), "url": rule.url,
                      "unconfirmed": profiles.text_in(rule.unconfirmed, language)})
    return found


def letter_categories(letter: Letter) -> frozenset[str]:
    """What the survivor's consent to the letter must cover."""
    extra = {"evidence"} if letter.exhibits else set()
    return consent_rules.COMPLAINT_CATEGORIES | extra


def require_letter_consent(letter: Letter) -> int:
    """The id of the survivor's consent grant that allows the letter to leave; else
    ConsentRequired (a ValidationError) saying why not, in plain words."""
    return consent.require_grant(letter.case, "complaint", letter_categories(letter)).pk


def export_letter(letter: Letter) -> int:
    """May the letter be downloaded: approved, and under her consent (its grant's id)."""
    _approved(letter)
    return require_letter_consent(letter)


@transaction.atomic
def send_letter(letter: Letter, by: User, sent_on: date) -> Letter:
    """Record that the letter was sent: an event that starts the addressee's duty to answer.
    Only an approved letter."""
    _editable(letter)
    _approved(letter)
    case = letter.case
    if sent_on > timezone.localdate():
        raise ValidationError({"sent_on": _("The date of sending cannot be in the future.")})
    numbers = [number for _rule_id, number in letter.covers]
    targets = list(Event.objects.filter(case=case, number__in=numbers))
    institution = letter.addressee if letter.addressee in taxonomy.INSTITUTIONS else "other"
    event = case_services.record_event(case, by, case_services.EventInput(
        kind="complaint_official", span=DateSpan.parse(sent_on.isoformat()),
        source="document", reliability="confirmed", institution=institution,
        narrative=letter.title, attributes={"letter": letter.pk},
        links=[(target, "related_to") for target in targets],
    ))
    letter.status, letter.sent_event = Letter.Status.SENT, event
    letter.save(update_fields=["status", "sent_event", "updated_at"])
    case_services.append(case, by, "letter.send", f"letter:{letter.pk}", letter_record(letter))
    return letter


@transaction.atomic
def record_letter_export(letter: Letter, by: User, fmt: str, document_digest: str,
                         grant: int | None = None) -> None:
    detail: dict[str, Any] = {"format": fmt, "sha256": document_digest}
    if grant is not None:
        detail["grant"] = grant
    case_services.append(letter.case, by, "letter.export", f"letter:{letter.pk}",
                         detail=detail)


def decorate_overdue(cases: Sequence[Case]) -> None:
    """The case list's "overdue" column: breached duties per case (restricted triggers left
    out, as the list may be read by any member)."""
    # The cases' modes are at hand: no join to the cases (with it PostgreSQL merged the
    # obligations with every case of the database, 18 ms at 100,000 cases).
    casework = [case.pk for case in cases if case.mode == Case.Mode.CASEWORK]
    overdue = Q(status=engine.BREACHED) | Q(status=engine.PENDING,
                                            due_latest__lt=timezone.localdate(),
                                            case_id__in=casework)
    counts = dict(Obligation.objects.filter(overdue, case_id__in=[case.pk for case in cases])
                  .for_reader(False).values("case_id")
                  .annotate(n=Count("pk")).values_list("case_id", "n"))
    for case in cases:
        case.overdue = counts.get(case.pk, 0)  # type: ignore[attr-defined]
