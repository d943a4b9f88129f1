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
    "arrest", "detention_ordered", "detention_extended", "release", "indictment", "hearing",
    "jury_selected", "jury_dismissed", "mistrial", "verdict", "sentence", "appeal",
    "international_complaint", "public_statement", "charges_respondent", "case_opened",
})
# Duties whose breach means her protection was not enforced.
PROTECTION_FAMILIES = ("kz.breach-response", "intl.breach-sanction", "gb.breach-response",
                       "kg.breach-response")


def proceeding_record(p: Proceeding) -> dict[str, Any]:
    return {"id": p.pk, "case": p.case_id, "kind": p.kind, "court": p.court,
            "case_number": p.case_number, "charges": p.charges,
            "participants": p.participants, "status": p.status,
            "events": sorted(e.number for e in p.events.all()),
            "created_by": p.created_by_id}


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


def _validate(case: Case, kind: str, court: str, charges: Sequence[Mapping[str, str]],
              participants: Sequence[Sequence[Any]], events: Sequence[Event]) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in Proceeding.Kind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of proceeding from the list."))
    if not court.strip():
        errors.setdefault("court", []).append(_("Name the court."))
    for charge in charges:
        if not str(charge.get("text", "")).strip():
            errors.setdefault("charges", []).append(_("Each charge needs a description."))
    party_ids = set(Party.objects.filter(case=case).values_list("pk", flat=True))
    for party_id, role in participants:
        if party_id not in party_ids or role not in Proceeding.Role.values:
            errors.setdefault("participants", []).append(
                _("Participants must be parties of the case with a role from the list."))
    for event in events:
        if event.case_id != case.pk:
            errors.setdefault("events", []).append(_("An event belongs to another case."))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def open_proceeding(case: Case, by: User, *, kind: str, court: str, case_number: str = "",
                    charges: Sequence[Mapping[str, str]] = (),
                    participants: Sequence[Sequence[Any]] = (),
                    events: Sequence[Event] = (), status: str = "investigation") -> Proceeding:
    _validate(case, kind, court, charges, participants, events)
    if status not in Proceeding.Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    proceeding = Proceeding.objects.create(
        case=case, kind=kind, court=court.strip(), case_number=case_number.strip(),
        charges=[{"text": c["text"].strip(), "article": c.get("article", "").strip()}
                 for c in charges],
        participants=[[int(p), r] for p, r in participants], status=status, created_by=by)
    proceeding.events.set(events)
    case_services.append(case, by, "proceeding.create", f"proceeding:{proceeding.pk}",
                         proceeding_record(proceeding))
    return proceeding


@transaction.atomic
def update_proceeding(proceeding: Proceeding, by: User, *, status: str | None = None,
                      events: Sequence[Event] | None = None) -> Proceeding:
    if status is not None:
        if status not in Proceeding.Status.values:
            raise ValidationError({"status": _("Unknown status.")})
        proceeding.status = status
        proceeding.save(update_fields=["status"])
    if events is not None:
        _validate(proceeding.case, proceeding.kind, proceeding.court, proceeding.charges,
                  proceeding.participants, events)
        proceeding.events.set(events)
    case_services.append(proceeding.case, by, "proceeding.update",
                         f"proceeding:{proceeding.pk}", proceeding_record(proceeding))
    return proceeding


@transaction.atomic
def record_hearing(proceeding: Proceeding, by: User, event: Event,
                   indicators: Mapping[str, Mapping[str, str]],
                   abuse_evidence_excluded: bool = False) -> HearingRecord:
    if event.case_id != proceeding.case_id or event.kind != "hearing":
        raise ValidationError({"event": _("Choose a hearing of this case.")})
    clean: dict[str, dict[str, str]] = {}
    for key, answer in indicators.items():
        value = answer.get("value", "")
        if key not in flags.INDICATORS or value not in (
                flags.OBSERVED, flags.NOT_OBSERVED, flags.NOT_APPLICABLE):
            raise ValidationError({key: _("Mark each indicator observed, not observed or "
                                          "not applicable.")})
        clean[key] = {"value": value, "note": str(answer.get("note", "")).strip()}
    missing = set(flags.INDICATORS) - set(clean)
    if missing:
        raise ValidationError(_("Every indicator needs an answer (missing: %(names)s).") % {
            "names": ", ".join(sorted(missing))})
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
    ), data


def _facts(proceeding: Proceeding) -> list[flags.ProceedingEvent]:
    facts = []
    for e in proceeding.events.filter(superseded_by__isnull=True):
        try:
            span = DateSpan.parse(e.when_start, e.when_end, e.qualifier, e.recurrence)
        except DateError:
            span = DateSpan()
        facts.append(flags.ProceedingEvent(e.number, e.kind, span, e.attributes or {}))
    return facts


@dataclass
class Picture:
    clock: flags.Clock | None
    flags: list[flags.Flag]
    sources: Mapping[str, Any]


def picture(proceeding: Proceeding, today: date | None = None) -> Picture:
    today = today or timezone.localdate()
    limits, sources = thresholds(proceeding.case)
    facts = _facts(proceeding)
    breached = []
    if proceeding.against_survivor:
        for o in Obligation.objects.filter(case=proceeding.case,
                                           family__in=PROTECTION_FAMILIES).select_related(
                "trigger"):
            if engine.current_status(o.status, o.due_latest, today) == engine.BREACHED:
                breached.append(o.trigger.number)
    indicators = [{"event": h.event.number, "abuse_evidence_excluded": True}
                  for h in proceeding.hearings.filter(abuse_evidence_excluded=True)
                  .select_related("event")]
    found = flags.derive_flags(facts, limits, today,
                               against_survivor=proceeding.against_survivor,
                               breached_protection=breached, indicators=indicators)
    return Picture(flags.detention_clock(facts, today), found, sources)


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


def defence_checklist(proceeding: Proceeding) -> list[dict[str, Any]]:
    """What the defence of an accused survivor needs, and what the case already holds."""
    case = proceeding.case
    events = list(Event.objects.filter(case=case, superseded_by__isnull=True)
                  .exclude(kind="self_harm").only("id", "number", "kind", "attributes"))
    exhibits = list(Exhibit.objects.filter(case=case, event__isnull=False).only(
        "number", "event_id"))
    rows: list[dict[str, Any]] = []
    for key, kinds, attribute in CHECKLIST:
        hits = [e for e in events if e.kind in kinds
                and (not attribute or (e.attributes or {}).get(attribute))]
        rows.append({"key": key, "label": CHECKLIST_LABELS[key],
                     "events": [e.number for e in hits],
                     "exhibits": [x.number for x in exhibits
                                  if x.event_id in {e.pk for e in hits}]})
    abuse = [k.id for k in taxonomy.KINDS if k.group == "abuse"]
    witnesses = sorted(set(EventParty.objects.filter(
        event__case=case, event__kind__in=abuse, role="witness").values_list("party_id",
                                                                             flat=True)))
    rows.insert(4, {"key": "witnesses", "label": CHECKLIST_LABELS["witnesses"],
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
                        "events": {"type": "array", "items": {"type": "integer",
                                                              "minimum": 1}},
                        "hearings": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["event", "indicators"],
                            "properties": {
                                "event": {"type": "integer", "minimum": 1},
                                "indicators": {
                                    "type": "object", "additionalProperties": False,
                                    "required": list(flags.INDICATORS),
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
                "kind", "court", "charges", "participants", "events", "status")}
            proceeding = open_proceeding(
                case, by, kind=item["kind"], court=item["court"],
                case_number=item.get("case_number", ""), charges=item.get("charges", []),
                participants=[(context.parties[ref["party"]].pk, ref["role"])
                              for ref in item.get("participants", [])],
                events=[events[n] for n in item.get("events", [])],
                status=item.get("status", Proceeding.Status.INVESTIGATION))
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
