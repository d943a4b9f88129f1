"""Proceedings: every write with its ledger entry; flags, clock and checklist derived."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qorgau.accounts.models import User
from qorgau.cases import erasure, records, taxonomy
from qorgau.cases import services as case_services
from qorgau.cases.dates import DateError, DateSpan
from qorgau.cases.models import Case, Event, EventParty, Party
from qorgau.duties import engine
from qorgau.duties import services as duties
from qorgau.duties.models import Obligation
from qorgau.evidence.models import Exhibit
from qorgau.proceedings import flags
from qorgau.proceedings.models import FairnessGrade, HearingRecord, Proceeding

PROCEEDING_KINDS = frozenset({
    "arrest", "detention_ordered", "detention_extended", "detention_refused",
    "restriction_ordered", "release", "release_pending_appeal", "indictment", "hearing",
    "jury_selected", "jury_dismissed", "mistrial", "verdict", "sentence", "appeal",
    "court_decision", "reclassification", "admin_sanction", "international_complaint",
    "public_statement", "charges_respondent", "case_opened", "official_tried",
    "official_disciplined", "case_discontinued",
})
# Bearers whose breached duties on her earlier reports a court must weigh.
AUTHORITY_BEARERS = ("police", "prosecutor")
# Fields added after proceedings were first recorded: digested only when set (records.py).
ADDED_FIELDS: dict[str, Any] = {"judge": "", "outcome": "pending", "sentence_penalty": "",
                                "sentence_term": "", "act_against_respondent": True}


def proceeding_record(p: Proceeding) -> dict[str, Any]:
    record = {"id": p.pk, "case": p.case_id, "kind": p.kind, "court": p.court,
              "case_number": p.case_number, "charges": p.charges,
              "participants": p.participants, "status": p.status,
              "events": sorted(e.number for e in p.events.all()),
              "created_by": p.created_by_id}
    for name, default in ADDED_FIELDS.items():
        if getattr(p, name) != default:
            record[name] = getattr(p, name)
    return record


def hearing_record(h: HearingRecord) -> dict[str, Any]:
    return {"id": h.pk, "proceeding": h.proceeding_id, "event": h.event.number,
            "indicators": h.indicators, "abuse_evidence_excluded": h.abuse_evidence_excluded,
            "recorded_by": h.recorded_by_id, "salt": h.salt}


def grade_record(g: FairnessGrade) -> dict[str, Any]:
    return {"id": g.pk, "proceeding": g.proceeding_id, "grade": g.grade,
            "rationale": g.rationale, "affected_outcome": g.affected_outcome,
            "significant_harm": g.significant_harm, "graded_by": g.graded_by_id,
            "salt": g.salt}


def proceeding_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: proceedings, hearing records and grades as the ledger vouches."""
    found = records.by_case(case_ids)
    for p in Proceeding.objects.filter(case_id__in=case_ids).prefetch_related("events"):
        found[p.case_id][f"proceeding:{p.pk}"] = proceeding_record(p)
    hearings = HearingRecord.objects.filter(proceeding__case_id__in=case_ids).select_related(
        "event").annotate(case_key=F("proceeding__case_id"))
    for h in hearings:
        found[h.case_key][f"hearing:{h.pk}"] = hearing_record(h)
    grades = FairnessGrade.objects.filter(proceeding__case_id__in=case_ids).annotate(
        case_key=F("proceeding__case_id"))
    for g in grades:
        found[g.case_key][f"grade:{g.pk}"] = grade_record(g)
    return found


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): proceedings, their hearing records and grades."""
    return erasure.delete(FairnessGrade.objects.filter(proceeding__case=case),
                          HearingRecord.objects.filter(proceeding__case=case),
                          Proceeding.objects.filter(case=case))


@dataclass
class Details:
    """What a proceeding says about itself besides its kind: every field optional on update."""

    court: str | None = None
    case_number: str | None = None
    charges: Sequence[Mapping[str, str]] | None = None
    participants: Sequence[Sequence[Any]] | None = None
    status: str | None = None
    judge: str | None = None
    outcome: str | None = None
    sentence_penalty: str | None = None
    sentence_term: str | None = None
    act_against_respondent: bool | None = None
    events: Sequence[Event] | None = None


def _problems(case: Case, d: Details) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if d.court is not None and not d.court.strip():
        add("court", _("Name the court."))
    for charge in d.charges or ():
        if not isinstance(charge, Mapping) or not str(charge.get("text", "")).strip():
            add("charges", _("Each charge needs a description."))
    if d.participants:
        party_ids = set(Party.objects.filter(case=case).values_list("pk", flat=True))
        for item in d.participants:
            party_id, role = (list(item) + [None, None])[:2]
            if party_id not in party_ids or role not in Proceeding.Role.values:
                add("participants", _("Participants must be parties of the case with a role "
                                      "from the list."))
    if d.status is not None and d.status not in Proceeding.Status.values:
        add("status", _("Choose a status from the list."))
    if d.outcome is not None and d.outcome not in Proceeding.Outcome.values:
        add("outcome", _("Choose an outcome from the list."))
    if d.sentence_penalty and d.sentence_penalty not in taxonomy.PENALTIES:
        add("sentence_penalty", _("Choose a sentence from the list."))
    if d.sentence_penalty and d.outcome not in (None, Proceeding.Outcome.CONVICTED):
        add("sentence_penalty", _("A sentence follows a conviction: set the outcome to "
                                  "convicted, or leave the sentence empty."))
    if d.judge is not None and len(d.judge) > 200:
        add("judge", _("Keep the judge's name under 200 characters."))
    for event in d.events or ():
        if event.case_id != case.pk:
            add("events", _("An event belongs to another case."))
    return errors


def _apply(proceeding: Proceeding, d: Details) -> None:
    for name in ("court", "case_number", "judge", "sentence_term"):
        value = getattr(d, name)
        if value is not None:
            setattr(proceeding, name, value.strip())
    for name in ("status", "outcome", "sentence_penalty", "act_against_respondent"):
        value = getattr(d, name)
        if value is not None:
            setattr(proceeding, name, value)
    if d.charges is not None:
        proceeding.charges = [{"text": str(c["text"]).strip(),
                               "article": str(c.get("article", "")).strip()}
                              for c in d.charges]
    if d.participants is not None:
        proceeding.participants = [[int(p), r] for p, r in d.participants]


@transaction.atomic
def open_proceeding(case: Case, by: User, *, kind: str, court: str, case_number: str = "",
                    charges: Sequence[Mapping[str, str]] = (),
                    participants: Sequence[Sequence[Any]] = (),
                    events: Sequence[Event] = (), status: str = "investigation",
                    **details: Any) -> Proceeding:
    """`details`: any other field of Details (judge, outcome, sentence_penalty, ...)."""
    d = Details(court=court, case_number=case_number, charges=charges,
                participants=participants, status=status, events=events, **details)
    errors = _problems(case, d)
    if kind not in Proceeding.Kind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of proceeding from the list."))
    if errors:
        raise ValidationError(errors)
    proceeding = Proceeding(case=case, kind=kind, created_by=by)
    _apply(proceeding, d)
    proceeding.save()
    proceeding.events.set(events)
    case_services.append(case, by, "proceeding.create", f"proceeding:{proceeding.pk}",
                         proceeding_record(proceeding))
    return proceeding


@transaction.atomic
def update_proceeding(proceeding: Proceeding, by: User, *,
                      reclassified_on: DateSpan | None = None,
                      **changes: Any) -> Proceeding:
    """Change what the proceeding says (fields of Details). New charges with
    `reclassified_on` are a reclassification: an event of that date records the old and new
    charges and joins the proceeding; without it they correct a mistake."""
    case = proceeding.case
    d = Details(**changes)
    errors = _problems(case, d)
    if d.outcome is None and d.sentence_penalty and \
            proceeding.outcome != Proceeding.Outcome.CONVICTED:
        errors.setdefault("sentence_penalty", []).append(
            _("A sentence follows a conviction: set the outcome to convicted, or leave the "
              "sentence empty."))
    if errors:
        raise ValidationError(errors)
    before = [dict(c) for c in proceeding.charges]
    _apply(proceeding, d)
    proceeding.save()
    if d.events is not None:
        proceeding.events.set(d.events)
    if reclassified_on is not None and d.charges is not None and before != proceeding.charges:
        def said(charges: Sequence[Mapping[str, str]]) -> str:
            return "; ".join(" ".join(filter(None, (c["text"], c.get("article", ""))))
                             for c in charges)

        event = case_services.record_event(case, by, case_services.EventInput(
            kind="reclassification", span=reclassified_on, source="document",
            reliability="confirmed", institution="court",
            attributes={"from_offence": said(before)[:300],
                        "to_offence": said(proceeding.charges)[:300]}))
        proceeding.events.add(event)
    case_services.append(case, by, "proceeding.update", f"proceeding:{proceeding.pk}",
                         proceeding_record(proceeding))
    return proceeding


@transaction.atomic
def record_step(proceeding: Proceeding, by: User,
                data: case_services.EventInput) -> Event:
    """A step of the proceeding (arrest, measure, release, hearing, verdict, sentence,
    appeal...): an event on the timeline that joins the proceeding, in one transaction."""
    if data.kind not in PROCEEDING_KINDS:
        raise ValidationError({"kind": _("Choose a step of proceedings from the list.")})
    subject = proceeding.accused_subject
    if subject and "subject" not in data.attributes and data.kind in taxonomy.ATTRIBUTES[
            "subject"].kinds:
        data.attributes = {**data.attributes, "subject": subject}
    event = case_services.record_event(proceeding.case, by, data)
    proceeding.events.add(event)
    case_services.append(proceeding.case, by, "proceeding.update",
                         f"proceeding:{proceeding.pk}", proceeding_record(proceeding))
    return event


@transaction.atomic
def record_hearing(proceeding: Proceeding, by: User, event: Event,
                   indicators: Mapping[str, Mapping[str, str]],
                   abuse_evidence_excluded: bool = False) -> HearingRecord:
    """What was observed at one hearing: any of the indicators, each observed, not observed
    or not applicable, with a note (a "not observed" needs one)."""
    if event.case_id != proceeding.case_id or event.kind != "hearing":
        raise ValidationError({"event": _("Choose a hearing of this case.")})
    clean: dict[str, dict[str, str]] = {}
    for key, answer in indicators.items():
        value = answer.get("value", "") if isinstance(answer, Mapping) else ""
        if not value:
            continue  # not recorded at this hearing
        if key not in flags.INDICATORS or value not in (
                flags.OBSERVED, flags.NOT_OBSERVED, flags.NOT_APPLICABLE):
            raise ValidationError({key: _("Mark each indicator observed, not observed or "
                                          "not applicable.")})
        note = str(answer.get("note", "")).strip()
        if value == flags.NOT_OBSERVED and not note:
            raise ValidationError({key: _("Say what you saw when an indicator was not "
                                          "observed.")})
        clean[key] = {"value": value, "note": note}
    if not clean and not abuse_evidence_excluded:
        raise ValidationError(_("Record at least one indicator."))
    hearing = HearingRecord.objects.create(
        proceeding=proceeding, event=event, indicators_json=json.dumps(clean, sort_keys=True),
        abuse_evidence_excluded=abuse_evidence_excluded, recorded_by=by,
        salt=secrets.token_hex(16))
    proceeding.events.add(event)
    case_services.append(proceeding.case, by, "hearing.record", f"hearing:{hearing.pk}",
                         hearing_record(hearing))
    case_services.append(proceeding.case, by, "proceeding.update",
                         f"proceeding:{proceeding.pk}", proceeding_record(proceeding))
    return hearing


@transaction.atomic
def grade(proceeding: Proceeding, by: User, grade: str, rationale: str,
          affected_outcome: bool, significant_harm: bool) -> FairnessGrade:
    if not flags.grade_is_valid(grade):
        raise ValidationError({"grade": _("Grade from A to F.")})
    if not rationale.strip():
        raise ValidationError({"rationale": _("Give the reasons for the grade.")})
    row = FairnessGrade.objects.create(
        proceeding=proceeding, grade=grade, rationale=rationale.strip(),
        affected_outcome=affected_outcome, significant_harm=significant_harm, graded_by=by,
        salt=secrets.token_hex(16))
    case_services.append(proceeding.case, by, "grade.create", f"grade:{row.pk}",
                         grade_record(row))
    return row


# --- derived -------------------------------------------------------------------------------


def thresholds(case: Case) -> tuple[flags.Thresholds, Mapping[str, Any]]:
    """The profile's thresholds, and where each comes from."""
    profile = duties.profile_for(case)
    data = profile.proceedings
    return flags.Thresholds(
        lengthy_detention_months=int(data["lengthy_detention_months"]["value"]),
        repeated_adjournments=int(data["repeated_adjournments"]["value"]),
        reasonable_time_months=int(data["reasonable_time_months"]["value"]),
    ), data


def _fact(e: Event) -> flags.ProceedingEvent:
    try:
        span = DateSpan.parse(e.when_start, e.when_end, e.qualifier, e.recurrence)
    except DateError:
        span = DateSpan()
    return flags.ProceedingEvent(e.number, e.kind, span, e.attributes or {})


def _current(events: Sequence[Event]) -> list[Event]:
    """Each event as now recorded: a corrected event by its newest correction (one query for
    the corrections, one for the newest versions)."""
    if not events:
        return []
    newer = dict(Event.objects.filter(case_id=events[0].case_id, supersedes__isnull=False)
                 .values_list("supersedes_id", "pk"))
    if not newer:
        return list(events)
    newest = {}
    for event in events:
        pk = event.pk
        while pk in newer:
            pk = newer[pk]
        newest[event.pk] = pk
    rows = Event.objects.in_bulk([pk for pk in newest.values() if pk not in
                                  {e.pk for e in events}])
    return [rows.get(newest[e.pk], e) for e in events]


def unclaimed(proceeding: Proceeding) -> list[Event]:
    """Steps recorded on the timeline but joined to no proceeding, that can only be this
    one's: about its accused (or about nobody in particular), when no other criminal or
    administrative proceeding of the case concerns the same person. The event form and the
    proceeding's page then give the same flags."""
    subject = proceeding.accused_subject
    if not subject:
        return []
    rivals = [p for p in Proceeding.objects.filter(case_id=proceeding.case_id)
              .exclude(pk=proceeding.pk) if p.accused_subject]
    found = []
    for event in (Event.objects.filter(case_id=proceeding.case_id, kind__in=PROCEEDING_KINDS,
                                       proceedings__isnull=True)
                  .current().order_by("number")):
        about = (event.attributes or {}).get("subject") or ""
        if about and about != subject:
            continue
        if any(not about or about == rival.accused_subject for rival in rivals):
            continue
        found.append(event)
    return found


def _facts(proceeding: Proceeding) -> list[flags.ProceedingEvent]:
    joined = _current(list(proceeding.events.all()))
    seen = {e.pk for e in joined}
    return [_fact(e) for e in [*joined, *(e for e in unclaimed(proceeding)
                                          if e.pk not in seen)]]


def survivor_grounds(proceeding: Proceeding, today: date,
                     facts: Sequence[flags.ProceedingEvent] | None = None) -> list[flags.Ground]:
    """What the court must weigh when she is accused of an act against her abuser; nothing
    for any other proceeding."""
    if not (proceeding.against_survivor and proceeding.act_against_respondent):
        return []
    case = proceeding.case
    facts = _facts(proceeding) if facts is None else facts
    days = [d for f in facts if (d := f.span.earliest() or f.span.latest())]
    timeline = [_fact(e) for e in Event.objects.filter(case=case).current()
                .exclude(kind="self_harm")]
    failures, gaps = [], []
    for o in Obligation.objects.filter(case=case).select_related("trigger"):
        if engine.current_status(o.status, o.due_latest, today) != engine.BREACHED:
            continue
        if o.duty_bearer in AUTHORITY_BEARERS:
            failures.append(o.trigger.number)
        elif o.duty_bearer == "legislature":
            gaps.append(o.trigger.number)
    abuse = [k.id for k in taxonomy.KINDS if k.group == "abuse"]
    witnessed = set(EventParty.objects.filter(
        event__case=case, event__kind__in=abuse, event__superseded_by__isnull=True,
        role="witness").values_list("event__number", flat=True))
    witnessed |= set(Exhibit.objects.filter(
        case=case, event__kind__in=abuse, event__superseded_by__isnull=True).values_list(
        "event__number", flat=True))
    return flags.survivor_grounds(timeline, min(days) if days else None,
                                  authority_failures=failures, law_gaps=gaps,
                                  abuse_witnessed=witnessed)


@dataclass
class Picture:
    clock: flags.Clock | None
    periods: list[flags.Period]
    length: flags.Length | None
    grounds: list[flags.Ground]
    sources: Mapping[str, Any]
    flags: list[flags.Flag]


def picture(proceeding: Proceeding, today: date | None = None) -> Picture:
    today = today or timezone.localdate()
    limits, sources = thresholds(proceeding.case)
    facts = _facts(proceeding)
    subject = proceeding.accused_subject
    closed = proceeding.status == Proceeding.Status.CLOSED
    grounds = survivor_grounds(proceeding, today, facts)
    observed = [flags.HearingObservation(h.event.number, h.event.sort_start, h.indicators,
                                         h.abuse_evidence_excluded)
                for h in proceeding.hearings.select_related("event")]
    found = flags.derive_flags(facts, limits, today, subject=subject, closed=closed,
                               hearings=observed, grounds=grounds)
    return Picture(clock=flags.detention_clock(facts, today, subject),
                   periods=flags.custody_periods(facts, subject),
                   length=flags.proceedings_length(facts, today, subject, closed),
                   grounds=grounds, sources=sources, flags=found)


CHECKLIST = (
    ("medical", ("medical_exam",), ""),
    ("psychological", ("psych_assessment",), ""),
    ("police_contacts", ("police_report", "police_visit", "police_refusal"), ""),
    ("orders_and_breaches", ("order_issued", "order_breached", "order_refused"), ""),
    ("expert", ("psych_assessment",), "expert"),
    ("release_application", ("hearing", "appeal"), "release_application"),
)
CHECKLIST_LABELS = {
    "medical": gettext_noop("Medical evidence of the abuse"),
    "psychological": gettext_noop("Psychological assessment"),
    "police_contacts": gettext_noop("Police contacts"),
    "orders_and_breaches": gettext_noop("Protection orders and their breaches"),
    "witnesses": gettext_noop("Witnesses of the abuse"),
    "expert": gettext_noop("Expert on the effects of domestic violence"),
    "release_application": gettext_noop("Application for release from detention"),
}


def defence_checklist(proceeding: Proceeding,
                      grounds: Sequence[flags.Ground] | None = None) -> list[dict[str, Any]]:
    """What the defence of an accused survivor needs, and what the case already holds: first
    the grounds the court must weigh (the same as the trial-monitoring report's), then the
    evidence to gather."""
    case = proceeding.case
    if grounds is None:
        grounds = survivor_grounds(proceeding, timezone.localdate())
    held = {g.id: g for g in grounds}
    events = list(Event.objects.filter(case=case, superseded_by__isnull=True)
                  .exclude(kind="self_harm").only("id", "number", "kind", "attributes"))
    exhibits = list(Exhibit.objects.filter(case=case, event__isnull=False).only(
        "number", "event_id"))
    rows: list[dict[str, Any]] = []
    for key in flags.GROUNDS:
        ground = held.get(key)
        rows.append({"key": key, "label": flags.GROUNDS[key], "ground": True,
                     "events": list(ground.events) if ground else [], "exhibits": []})
    for key, kinds, attribute in CHECKLIST:
        hits = [e for e in events if e.kind in kinds
                and (not attribute or (e.attributes or {}).get(attribute))]
        rows.append({"key": key, "label": CHECKLIST_LABELS[key], "ground": False,
                     "events": [e.number for e in hits],
                     "exhibits": [x.number for x in exhibits
                                  if x.event_id in {e.pk for e in hits}]})
    abuse = [k.id for k in taxonomy.KINDS if k.group == "abuse"]
    witnesses = sorted(set(EventParty.objects.filter(
        event__case=case, event__kind__in=abuse, role="witness").values_list("party_id",
                                                                             flat=True)))
    rows.insert(len(flags.GROUNDS) + 4, {
        "key": "witnesses", "label": CHECKLIST_LABELS["witnesses"], "ground": False,
        "events": [], "exhibits": [], "parties": witnesses})
    for row in rows:
        row["held"] = bool(row["events"] or row.get("parties"))
    return rows


# --- the case file (qorgau.cases.casefile, version 2) ---------------------------------------
# Proceedings, each with its hearing observations and grades (oldest first), when the
# export's consent covers `proceedings`. Parties by key, events by their number in the file.


def _casefile_section() -> Any:
    from qorgau.cases import casefile
    from qorgau.cases.casefile import CheckContext, ExportContext, ImportContext, Problem

    def schema() -> dict[str, Any]:
        answer = {"type": "object", "additionalProperties": False, "required": ["value"],
                  "properties": {"value": {"type": "string", "enum": [
                      flags.OBSERVED, flags.NOT_OBSERVED, flags.NOT_APPLICABLE]},
                      "note": {"type": "string"}}}
        return {"type": "array", "description": "Proceedings, their hearings and grades.",
                "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["kind", "court"],
                    "properties": {
                        "kind": {"type": "string", "enum": Proceeding.Kind.values},
                        "court": {"type": "string", "pattern": r"\S", "maxLength": 200},
                        "case_number": {"type": "string", "maxLength": 100},
                        "charges": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["text"],
                            "properties": {"text": {"type": "string", "pattern": r"\S"},
                                           "article": {"type": "string"}}}},
                        "participants": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["party", "role"],
                            "properties": {"party": {"type": "string"},
                                           "role": {"type": "string",
                                                    "enum": Proceeding.Role.values}}}},
                        "status": {"type": "string", "enum": Proceeding.Status.values},
                        "judge": {"type": "string", "maxLength": 200},
                        "outcome": {"type": "string", "enum": Proceeding.Outcome.values},
                        "sentence": {
                            "type": "object", "additionalProperties": False,
                            "required": ["penalty"],
                            "properties": {
                                "penalty": {"type": "string",
                                            "enum": list(taxonomy.PENALTIES)},
                                "term": {"type": "string", "maxLength": 200}}},
                        "act_against_respondent": {"type": "boolean"},
                        "events": {"type": "array", "items": {"type": "integer",
                                                              "minimum": 1}},
                        "hearings": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["event", "indicators"],
                            "properties": {
                                "event": {"type": "integer", "minimum": 1},
                                "indicators": {
                                    "type": "object", "additionalProperties": False,
                                    "properties": {k: answer for k in flags.INDICATORS}},
                                "abuse_evidence_excluded": {"type": "boolean"}}}},
                        "grades": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["grade", "rationale"],
                            "properties": {
                                "grade": {"type": "string",
                                          "enum": ["A", "B", "C", "D", "E", "F"]},
                                "rationale": {"type": "string", "pattern": r"\S"},
                                "affected_outcome": {"type": "boolean"},
                                "significant_harm": {"type": "boolean"}}}},
                    }}}

    def export(context: ExportContext) -> list[dict[str, Any]]:
        items = []
        rows = (Proceeding.objects.filter(case=context.case).order_by("pk")
                .prefetch_related("events"))
        for p in rows:
            hearings = HearingRecord.objects.filter(proceeding=p).order_by("pk")
            grades = FairnessGrade.objects.filter(proceeding=p).order_by("graded_at", "pk")
            items.append({
                "kind": p.kind, "court": p.court, "case_number": p.case_number,
                "charges": [{"text": c["text"], "article": c.get("article", "")}
                            for c in p.charges],
                "participants": [{"party": context.parties[pid], "role": role}
                                 for pid, role in p.participants if pid in context.parties],
                "status": p.status,
                **({"judge": p.judge} if p.judge else {}),
                **({"outcome": p.outcome} if p.outcome != Proceeding.Outcome.PENDING else {}),
                **({"sentence": {"penalty": p.sentence_penalty, "term": p.sentence_term}}
                   if p.sentence_penalty else {}),
                **({"act_against_respondent": False} if not p.act_against_respondent
                   else {}),
                "events": sorted(context.events[e.pk] for e in p.events.all()
                                 if e.pk in context.events),
                "hearings": [{"event": context.events[h.event_id],
                              "indicators": h.indicators,
                              "abuse_evidence_excluded": h.abuse_evidence_excluded}
                             for h in hearings if h.event_id in context.events],
                "grades": [{"grade": g.grade, "rationale": g.rationale,
                            "affected_outcome": g.affected_outcome,
                            "significant_harm": g.significant_harm} for g in grades],
            })
        return items

    def check(items: list[dict[str, Any]], context: CheckContext,
              path: str) -> list[Problem]:
        problems: list[Problem] = []
        for i, item in enumerate(items):
            where = f"{path}[{i}]"
            for j, ref in enumerate(item.get("participants", [])):
                problems += casefile.party_problem(ref["party"], context,
                                                   f"{where}.participants[{j}].party")
            for j, number in enumerate(item.get("events", [])):
                problems += casefile.event_problem(number, context, f"{where}.events[{j}]")
            for j, hearing in enumerate(item.get("hearings", [])):
                problems += casefile.event_problem(hearing["event"], context,
                                                   f"{where}.hearings[{j}].event", "hearing")
        return problems

    def load(items: list[dict[str, Any]], context: ImportContext) -> None:
        case, by, events = context.case, context.by, context.events
        for i, item in enumerate(items):
            context.path = f"$.proceedings[{i}]"
            context.fields = {name: name for name in (
                "kind", "court", "charges", "participants", "events", "status", "judge",
                "outcome", "act_against_respondent")}
            context.fields["sentence_penalty"] = "sentence"
            sentence = item.get("sentence") or {}
            proceeding = open_proceeding(
                case, by, kind=item["kind"], court=item["court"],
                case_number=item.get("case_number", ""), charges=item.get("charges", []),
                participants=[(context.parties[ref["party"]].pk, ref["role"])
                              for ref in item.get("participants", [])],
                events=[events[n] for n in item.get("events", [])],
                status=item.get("status", Proceeding.Status.INVESTIGATION),
                judge=item.get("judge", ""),
                outcome=item.get("outcome", Proceeding.Outcome.PENDING),
                sentence_penalty=sentence.get("penalty", ""),
                sentence_term=sentence.get("term", ""),
                act_against_respondent=item.get("act_against_respondent", True))
            for j, hearing in enumerate(item.get("hearings", [])):
                context.path = f"$.proceedings[{i}].hearings[{j}]"
                context.fields = {"event": "event",
                                  **{k: f"indicators.{k}" for k in flags.INDICATORS}}
                record_hearing(proceeding, by, events[hearing["event"]],
                               hearing["indicators"],
                               hearing.get("abuse_evidence_excluded", False))
            for j, row in enumerate(item.get("grades", [])):
                context.path = f"$.proceedings[{i}].grades[{j}]"
                context.fields = {"grade": "grade", "rationale": "rationale"}
                grade(proceeding, by, row["grade"], row["rationale"],
                      row.get("affected_outcome", False), row.get("significant_harm", False))

    return casefile.Section("proceedings", 20, schema, export, check, load,
                            category="proceedings")


def _register_casefile() -> None:
    # Here, not in cases: cases does not import this app (apps.ready imports this module).
    from qorgau.cases import casefile

    casefile.register_section(_casefile_section())


_register_casefile()
