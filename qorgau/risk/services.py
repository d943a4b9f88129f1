"""Risk assessments and safety plans: every write with its ledger entry and timeline event.

Completing an assessment records a `risk_assessment` event (institution: our organisation,
attribute `level`), and saving a safety plan a `safety_plan` event, so the duties engine sees
them: a high level makes a safety plan due, a later incident makes a new assessment due.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import Organisation, User
from qorgau.cases import erasure, records
from qorgau.cases import services as case_services
from qorgau.cases.dates import DateError, DateSpan
from qorgau.cases.models import Case, Event
from qorgau.risk import instruments, scoring, suggest
from qorgau.risk.models import SECTIONS, Assessment, LicensedText, SafetyPlan

LANGUAGES = ("ru", "kk", "en")


def instruments_dir() -> Path:
    return Path(settings.QORGAU_INSTRUMENTS_DIR)


def check_instruments() -> dict[str, instruments.Instrument]:
    try:
        return instruments.load_all(instruments_dir())
    except instruments.InstrumentError as exc:
        raise ImproperlyConfigured(f"Risk instrument error: {exc}") from exc


def instrument(instrument_id: str) -> instruments.Instrument:
    if instrument_id not in instruments.available(instruments_dir()):
        raise ValidationError({"instrument": _("Choose an instrument from the list.")})
    return instruments.cached(instrument_id, str(instruments_dir()))


def item_texts(organisation: Organisation, inst: instruments.Instrument,
               language: str) -> dict[str, str]:
    """Item id -> question, from the licence holder's loaded text where the file has none."""
    texts = {item.id: instruments.text_in(item.text, language) for item in inst.items}
    if not inst.text_included:
        loaded = LicensedText.objects.filter(organisation=organisation,
                                             instrument=inst.id).first()
        for item_id, by_language in (loaded.texts if loaded else {}).items():
            text = by_language.get(language.split("-")[0]) or next(iter(by_language.values()))
            if item_id in texts and text:
                texts[item_id] = text
    return texts


# --- suggestions ---------------------------------------------------------------------------


def timeline_facts(case: Case, sees_restricted: bool) -> list[suggest.TimelineFact]:
    rows = Event.objects.filter(case=case).current().for_reader(sees_restricted).values_list(
        "number", "kind", "when_start", "when_end", "qualifier", "recurrence", "attributes")
    facts = []
    for number, kind, start, end, qualifier, recurrence, attributes in rows:
        try:
            span = DateSpan.parse(start, end, qualifier, recurrence)
        except DateError:
            span = DateSpan()
        facts.append(suggest.TimelineFact(number, kind, span, attributes or {}))
    return facts


def fatal_events(case: Case) -> tuple[date | None, set[int]]:
    """The survivor's recorded death (its earliest day) and the numbers of the events that
    ended her life: what a risk screen must never offer as a *prior* incident."""
    deaths = [e for e in Event.objects.filter(case=case, kind="death").current()
              if (e.attributes or {}).get("subject", "survivor") == "survivor"]
    if not deaths:
        return None, set()
    days = []
    fatal: set[int] = set()
    for death in deaths:
        fatal.add(death.number)
        fatal.update(death.links_out.values_list("target__number", flat=True))
        fatal.update(death.links_in.values_list("source__number", flat=True))
        try:
            day = DateSpan.parse(death.when_start, death.when_end, death.qualifier,
                                 death.recurrence).earliest()
        except DateError:
            day = None
        if day:
            days.append(day)
    fatal.update(Event.objects.filter(case=case, kind="killing").current()
                 .values_list("number", flat=True))
    return (min(days) if days else None), fatal


def suggestions(case: Case, inst: instruments.Instrument,
                sees_restricted: bool = False) -> dict[str, list[suggest.TimelineFact]]:
    """Timeline events suggesting each item; never the events that killed her, nor anything
    on or after her death."""
    died, fatal = fatal_events(case)
    facts = [f for f in timeline_facts(case, sees_restricted) if f.number not in fatal
             and not (died and f.span.known and f.span.sort_key()[0] >= died)]
    return suggest.suggestions(inst, facts)


# --- assessments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerInput:
    answer: str  # yes / no / unknown
    suggestion: str | None = None  # "confirmed" / "rejected" when the timeline suggested it


def assessment_record(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk, "case": a.case_id, "instrument": a.instrument,
        "instrument_version": a.instrument_version, "answers": a.answers, "score": a.score,
        "computed_level": a.computed_level, "level": a.level,
        "judgement_reason": a.judgement_reason, "assessor": a.assessor_id,
        "created_at": a.created_at.isoformat(), "event": a.event.number, "salt": a.salt,
    }


@transaction.atomic
def record_assessment(
    case: Case,
    by: User,
    instrument_id: str,
    answers: Mapping[str, AnswerInput],
    judgement: str = "",
    reason: str = "",
    sees_restricted: bool = False,
) -> Assessment:
    """Score and keep an assessment. Every timeline suggestion must be confirmed or rejected."""
    inst = instrument(instrument_id)
    hints = suggestions(case, inst, sees_restricted)
    errors: dict[str, list[str]] = {}
    stored: dict[str, dict[str, Any]] = {}
    for item in inst.items:
        given = answers.get(item.id) or AnswerInput(scoring.UNKNOWN)
        if given.answer not in scoring.ANSWERS:
            errors.setdefault(item.id, []).append(_("Answer yes, no or not known."))
            continue
        events = [f.number for f in hints.get(item.id, [])]
        if events and given.suggestion not in ("confirmed", "rejected"):
            errors.setdefault(item.id, []).append(
                _("The timeline suggests yes: confirm or reject the suggestion."))
            continue
        answer = given.answer
        if given.suggestion == "confirmed":
            answer = scoring.YES
        stored[item.id] = {
            "answer": answer,
            "source": "suggested" if events else "asked",
            "suggestion": given.suggestion if events else None,
            "events": events if given.suggestion == "confirmed" else [],
        }
    if errors:
        raise ValidationError(errors)
    try:
        result = scoring.score(inst, {k: v["answer"] for k, v in stored.items()},
                               judgement or None, reason)
    except scoring.JudgementError as exc:
        raise ValidationError({"judgement": _(
            "Professional judgement may raise the level, with a written reason; it may "
            "never lower it.")}) from exc
    now = timezone.now()
    event = case_services.record_event(case, by, case_services.EventInput(
        kind="risk_assessment", span=DateSpan.parse(timezone.localdate().isoformat()),
        source="staff", reliability="confirmed", institution="organisation",
        attributes={"instrument": inst.id, "level": result.level},
    ))
    assessment = Assessment.objects.create(
        case=case, instrument=inst.id, instrument_version=inst.version,
        answers_json=json.dumps(stored, sort_keys=True), score=result.score,
        computed_level=result.computed_level, level=result.level,
        judgement_reason=reason.strip() if result.raised else "", assessor=by,
        created_at=now, event=event, salt=secrets.token_hex(16),
    )
    case_services.append(case, by, "assessment.create", f"assessment:{assessment.pk}",
                         assessment_record(assessment))
    return assessment


def latest_assessment(case: Case) -> Assessment | None:
    return Assessment.objects.filter(case=case).select_related("event").first()


# --- safety plans --------------------------------------------------------------------------

PLAN_FIELDS = (*SECTIONS, "respondent_knows", "language")


def plan_record(plan: SafetyPlan) -> dict[str, Any]:
    record: dict[str, Any] = {"id": plan.pk, "case": plan.case_id, "salt": plan.salt,
                              "reviews": plan.reviews, "updated_by": plan.updated_by_id}
    record.update({name: getattr(plan, name) for name in PLAN_FIELDS})
    return record


@transaction.atomic
def save_safety_plan(case: Case, by: User, values: Mapping[str, Any],
                     reviews: Mapping[str, date | None]) -> SafetyPlan:
    """Write or review the plan: on the ledger, and a `safety_plan` event on the timeline."""
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown safety plan fields: %(fields)s") % {
            "fields": ", ".join(sorted(unknown))})
    if values.get("language", "ru") not in LANGUAGES:
        raise ValidationError({"language": _("Choose Russian, Kazakh or English.")})
    if values.get("respondent_knows", "unknown") not in SafetyPlan.Knows.values:
        raise ValidationError({"respondent_knows": _("Answer yes, no or not known.")})
    texts = {name: str(values.get(name) or "").strip() for name in SECTIONS}
    if not any(texts.values()):
        raise ValidationError(_("Write at least one part of the plan."))
    today = timezone.localdate()
    review_dates: dict[str, str] = {}
    for name, day in reviews.items():
        if name not in SECTIONS:
            raise ValidationError(_("Unknown safety plan fields: %(fields)s") % {"fields": name})
        if day is not None:
            if day < today:
                raise ValidationError({f"review_{name}": _(
                    "A review date cannot be in the past.")})
            review_dates[name] = day.isoformat()
    plan = SafetyPlan.objects.filter(case=case).first()
    if plan is None:
        plan = SafetyPlan(case=case, salt=secrets.token_hex(16))
    for name, text in texts.items():
        setattr(plan, name, text)
    plan.respondent_knows = values.get("respondent_knows", "unknown")
    plan.language = values.get("language", "ru")
    plan.reviews = review_dates
    plan.updated_by, plan.updated_at = by, timezone.now()
    plan.save()
    case_services.record_event(case, by, case_services.EventInput(
        kind="safety_plan", span=DateSpan.parse(today.isoformat()), source="staff",
        reliability="confirmed", institution="organisation",
    ))
    case_services.append(case, by, "safety_plan.save", f"safety_plan:{plan.pk}",
                         plan_record(plan))
    return plan


def next_review(plan: SafetyPlan) -> date | None:
    days = [date.fromisoformat(d) for d in plan.reviews.values() if d]
    return min(days) if days else None


# --- verification and licences -------------------------------------------------------------


def risk_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: assessments and safety plans as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for a in Assessment.objects.filter(case_id__in=case_ids).select_related("event"):
        found[a.case_id][f"assessment:{a.pk}"] = assessment_record(a)
    for plan in SafetyPlan.objects.filter(case_id__in=case_ids):
        found[plan.case_id][f"safety_plan:{plan.pk}"] = plan_record(plan)
    return found


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): the case's assessments and safety plan."""
    return erasure.delete(Assessment.objects.filter(case=case),
                          SafetyPlan.objects.filter(case=case))


def load_licensed_text(organisation: Organisation, instrument_id: str,
                       texts: Mapping[str, Any], by: User | None = None) -> LicensedText:
    """Store a licence holder's item texts for its own organisation, after checking them."""
    inst = instrument(instrument_id)
    if inst.text_included:
        raise ValidationError(_("This instrument already ships its text."))
    if not isinstance(texts, Mapping) or not texts:
        raise ValidationError(_("The file must map item ids to their texts."))
    ids = {item.id for item in inst.items}
    clean: dict[str, dict[str, str]] = {}
    for item_id, by_language in texts.items():
        if item_id not in ids:
            raise ValidationError(_("%(item)s is not an item of %(instrument)s.") % {
                "item": item_id, "instrument": inst.id})
        if not isinstance(by_language, Mapping) or not by_language or not set(
                by_language) <= set(LANGUAGES) or not all(
                isinstance(t, str) and t.strip() for t in by_language.values()):
            raise ValidationError(_("Item %(item)s: give its text in en, ru or kk.") % {
                "item": item_id})
        clean[item_id] = {lang: text.strip() for lang, text in by_language.items()}
    row, _created = LicensedText.objects.update_or_create(
        organisation=organisation, instrument=inst.id,
        defaults={"texts": clean, "loaded_by": by})
    return row


# --- the case file (qorgau.cases.casefile, version 2) ---------------------------------------
# Assessments (when the export's consent covers `risk`) and the safety plan (`safety_plan`),
# each with the timeline events it recorded. Imported as they were: an assessment is not
# scored again (the instrument may have changed since), and the plan's events are the file's.


@transaction.atomic
def import_assessment(case: Case, by: User, event: Event, *, instrument_id: str,
                      instrument_version: str, answers: Mapping[str, Mapping[str, Any]],
                      score: int, computed_level: str, level: str, judgement_reason: str,
                      created_at: datetime) -> Assessment:
    """An assessment as another holder of the case recorded it, on its own event."""
    if event.case_id != case.pk or event.kind != "risk_assessment" or \
            Assessment.objects.filter(event=event).exists():
        raise ValidationError({"event": _("Choose a risk assessment event of this case that "
                                          "has no assessment yet.")})
    for item, given in answers.items():
        if given.get("answer") not in scoring.ANSWERS:
            raise ValidationError({item: _("Answer yes, no or not known.")})
    if not instrument_id.strip() or not level.strip():
        raise ValidationError({"level": _("Name the instrument and the level.")})
    assessment = Assessment.objects.create(
        case=case, instrument=instrument_id, instrument_version=instrument_version,
        answers_json=json.dumps(answers, sort_keys=True), score=score,
        computed_level=computed_level, level=level, judgement_reason=judgement_reason.strip(),
        assessor=by, created_at=created_at, event=event, salt=secrets.token_hex(16))
    case_services.append(case, by, "assessment.create", f"assessment:{assessment.pk}",
                         assessment_record(assessment), {"imported": True})
    return assessment


@transaction.atomic
def import_safety_plan(case: Case, by: User, values: Mapping[str, Any],
                       reviews: Mapping[str, str], updated_at: datetime) -> SafetyPlan:
    """The plan as another holder of the case kept it (its review dates may have passed);
    its `safety_plan` events are already on the imported timeline."""
    if set(values) - set(PLAN_FIELDS) or set(reviews) - set(SECTIONS):
        raise ValidationError(_("Unknown safety plan fields: %(fields)s") % {
            "fields": ", ".join(sorted((set(values) - set(PLAN_FIELDS))
                                       | (set(reviews) - set(SECTIONS))))})
    if values.get("language", "ru") not in LANGUAGES:
        raise ValidationError({"language": _("Choose Russian, Kazakh or English.")})
    if values.get("respondent_knows", "unknown") not in SafetyPlan.Knows.values:
        raise ValidationError({"respondent_knows": _("Answer yes, no or not known.")})
    if SafetyPlan.objects.filter(case=case).exists():
        raise ValidationError(_("The case already has a safety plan."))
    plan = SafetyPlan(case=case, salt=secrets.token_hex(16), updated_by=by,
                      updated_at=updated_at, reviews=dict(reviews),
                      respondent_knows=values.get("respondent_knows", "unknown"),
                      language=values.get("language", "ru"))
    for name in SECTIONS:
        setattr(plan, name, str(values.get(name) or "").strip())
    plan.save()
    case_services.append(case, by, "safety_plan.save", f"safety_plan:{plan.pk}",
                         plan_record(plan), {"imported": True})
    return plan


def _casefile_sections() -> list[Any]:
    from qorgau.cases import casefile, schemacheck
    from qorgau.cases.casefile import CheckContext, ExportContext, ImportContext, Problem

    day = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

    answer: dict[str, Any] = {
        "type": "object", "additionalProperties": False, "required": ["answer"],
        "properties": {
            "answer": {"type": "string", "enum": list(scoring.ANSWERS)},
            "source": {"type": "string", "enum": ["asked", "suggested"]},
            "suggestion": {"type": ["string", "null"], "pattern": "^(confirmed|rejected)$"},
            "events": {"type": "array", "items": {"type": "integer", "minimum": 1}}}}
    answer_check = schemacheck.compile_schema(answer)

    def assessments_schema() -> dict[str, Any]:
        return {"type": "array", "description": "Risk assessments, oldest first.", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["event", "instrument", "answers", "score", "level", "created_at"],
            "properties": {
                "event": {"type": "integer", "minimum": 1,
                          "description": "Its risk_assessment event in this file."},
                "instrument": {"type": "string", "pattern": r"\S", "maxLength": 60},
                "instrument_version": {"type": "string", "maxLength": 20},
                "answers": {"type": "object", "description": "Item id -> " + json.dumps(
                    answer["properties"], sort_keys=True)},
                "score": {"type": "integer"},
                "computed_level": {"type": "string", "maxLength": 30},
                "level": {"type": "string", "pattern": r"\S", "maxLength": 30},
                "judgement_reason": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}}}}

    def assessments_export(context: ExportContext) -> list[dict[str, Any]]:
        numbers = set(context.events.values())
        return [{
            "event": context.events[a.event_id], "instrument": a.instrument,
            "instrument_version": a.instrument_version,
            "answers": {item: {**given, "events": [n for n in given.get("events", [])
                                                   if n in numbers]}
                        for item, given in sorted(a.answers.items())},
            "score": a.score, "computed_level": a.computed_level, "level": a.level,
            "judgement_reason": a.judgement_reason,
            "created_at": casefile.iso_moment(a.created_at),
        } for a in Assessment.objects.filter(case=context.case).order_by("created_at", "pk")
            if a.event_id in context.events]

    def assessments_check(items: list[dict[str, Any]], context: CheckContext,
                          path: str) -> list[Problem]:
        problems: list[Problem] = []
        seen: set[int] = set()
        for i, item in enumerate(items):
            where = f"{path}[{i}]"
            problems += casefile.event_problem(item["event"], context, f"{where}.event",
                                               "risk_assessment")
            if item["event"] in seen:
                problems.append(Problem(f"{where}.event", _(
                    "event %(number)s already has an assessment.") % {"number": item["event"]}))
            seen.add(item["event"])
            for name, given in item["answers"].items():
                if not isinstance(given, dict) or not answer_check(given):
                    problems.append(Problem(f"{where}.answers.{name}", _(
                        "an answer is {\"answer\": yes, no or unknown, \"source\": asked or "
                        "suggested, \"suggestion\": confirmed, rejected or null, "
                        "\"events\": [event numbers]}.")))
                    continue
                for j, number in enumerate(given.get("events", [])):
                    problems += casefile.event_problem(
                        number, context, f"{where}.answers.{name}.events[{j}]")
            problems += casefile.moment_problems(item["created_at"], f"{where}.created_at")
        return problems

    def assessments_load(items: list[dict[str, Any]], context: ImportContext) -> None:
        events = context.events
        for i, item in enumerate(items):
            context.path = f"$.assessments[{i}]"
            context.fields = {"event": "event", "level": "level",
                              **{name: f"answers.{name}" for name in item["answers"]}}
            answers = {name: {"answer": given["answer"],
                              "source": given.get("source", "asked"),
                              "suggestion": given.get("suggestion"),
                              "events": [events[n].number for n in given.get("events", [])]}
                       for name, given in item["answers"].items()}
            import_assessment(
                context.case, context.by, events[item["event"]],
                instrument_id=item["instrument"],
                instrument_version=item.get("instrument_version", ""), answers=answers,
                score=item["score"], computed_level=item.get("computed_level", item["level"]),
                level=item["level"], judgement_reason=item.get("judgement_reason", ""),
                created_at=casefile.moment(item["created_at"]))

    def plan_schema() -> dict[str, Any]:
        texts = {name: {"type": "string"} for name in SECTIONS}
        return {"type": ["object", "null"], "description": "The safety plan, or null.",
                "additionalProperties": False, "required": ["updated_at"],
                "properties": {
                    **texts,
                    "respondent_knows": {"type": "string", "enum": SafetyPlan.Knows.values},
                    "language": {"type": "string", "enum": list(LANGUAGES)},
                    "reviews": {"type": "object", "additionalProperties": False,
                                "properties": {name: day for name in SECTIONS}},
                    "updated_at": {"type": "string", "format": "date-time"}}}

    def plan_export(context: ExportContext) -> dict[str, Any] | None:
        plan = SafetyPlan.objects.filter(case=context.case).first()
        if plan is None:
            return None
        return {**{name: getattr(plan, name) for name in PLAN_FIELDS},
                "reviews": dict(sorted(plan.reviews.items())),
                "updated_at": casefile.iso_moment(plan.updated_at)}

    def plan_check(plan: dict[str, Any] | None, context: CheckContext,
                   path: str) -> list[Problem]:
        if plan is None:
            return []
        problems = casefile.moment_problems(plan["updated_at"], f"{path}.updated_at")
        for name, text in plan.get("reviews", {}).items():
            problems += casefile.moment_problems(text, f"{path}.reviews.{name}", day=True)
        return problems

    def plan_load(plan: dict[str, Any] | None, context: ImportContext) -> None:
        if plan is None:
            return
        context.path = "$.safety_plan"
        context.fields = {"language": "language", "respondent_knows": "respondent_knows"}
        import_safety_plan(context.case, context.by,
                           {name: plan[name] for name in PLAN_FIELDS if name in plan},
                           plan.get("reviews", {}), casefile.moment(plan["updated_at"]))

    return [
        casefile.Section("assessments", 30, assessments_schema, assessments_export,
                         assessments_check, assessments_load, category="risk",
                         kinds=frozenset({"risk_assessment"})),
        casefile.Section("safety_plan", 40, plan_schema, plan_export, plan_check, plan_load,
                         category="safety_plan", kinds=frozenset({"safety_plan"}),
                         empty=lambda: None),
    ]


def _register_casefile() -> None:
    # Here, not in cases: cases does not import this app (apps.ready imports this module).
    from qorgau.cases import casefile

    for section in _casefile_sections():
        casefile.register_section(section)


_register_casefile()


def decorate_levels(cases: Sequence[Case]) -> None:
    """The case list's "risk" column: the level of each case's latest assessment."""
    from qorgau.risk.views import level_title

    latest: dict[int, tuple[str, str]] = {}
    for case_id, instrument_id, level in (
            Assessment.objects.filter(case__in=list(cases))
            .order_by("case_id", "-created_at", "-pk")
            .values_list("case_id", "instrument", "level")):
        latest.setdefault(case_id, (instrument_id, level))
    for case in cases:
        found = latest.get(case.pk)
        case.risk_level = level_title(*found) if found else ""  # type: ignore[attr-defined]
        case.risk_key = found[1] if found else ""  # type: ignore[attr-defined]
