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
from datetime import date
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
    rows = Event.objects.filter(case=case).current().visible_to_role(
        "caseworker" if sees_restricted else None).values_list(
        "number", "kind", "when_start", "when_end", "qualifier", "recurrence", "attributes")
    facts = []
    for number, kind, start, end, qualifier, recurrence, attributes in rows:
        try:
            span = DateSpan.parse(start, end, qualifier, recurrence)
        except DateError:
            span = DateSpan()
        facts.append(suggest.TimelineFact(number, kind, span, attributes or {}))
    return facts


def suggestions(case: Case, inst: instruments.Instrument,
                sees_restricted: bool = False) -> dict[str, list[suggest.TimelineFact]]:
    return suggest.suggestions(inst, timeline_facts(case, sees_restricted))


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
