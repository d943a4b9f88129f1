"""Risk assessments, referrals and proceedings of a case: read them, and make new ones
through the same services as the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Schema, Status
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.routers.cases import event_input
from qorgau.api.routers.common import case_for, viewed
from qorgau.api.schemas import NOT_BLANK, EventIn, Id, In, When, one_of, text
from qorgau.cases import policy, taxonomy
from qorgau.cases import services as case_services
from qorgau.cases.models import Event
from qorgau.consent import rules as consent_rules
from qorgau.proceedings import services as proceedings
from qorgau.proceedings.models import Proceeding
from qorgau.referrals import rules as referral_rules
from qorgau.referrals import services as referrals
from qorgau.referrals.models import Provider, Referral
from qorgau.risk import instruments
from qorgau.risk import services as risk
from qorgau.risk.models import Assessment

router = Router(tags=["risk, referrals and proceedings"])
READ, WRITE = needs("read"), needs("write")


# --- risk ----------------------------------------------------------------------------------

class AssessmentOut(Schema):
    id: int
    instrument: str
    instrument_version: str
    score: int
    computed_level: str
    level: str
    judgement_reason: str
    answers: dict[str, Any]
    event: int = Field(description="The risk_assessment event it recorded on the timeline.")
    created_at: datetime


class AnswerIn(In):
    answer: Literal["yes", "no", "unknown"]
    suggestion: Literal["confirmed", "rejected"] | None = Field(
        None, description="Required where the timeline suggests the answer.")


def _instruments(schema: dict[str, Any]) -> None:
    """The instruments this instance has (QORGAU_INSTRUMENTS_DIR), read as the schema is."""
    schema["enum"] = instruments.available(risk.instruments_dir())


def _levels(schema: dict[str, Any]) -> None:
    """The levels of those instruments: a judgement names one of the chosen instrument's."""
    directory = risk.instruments_dir()
    schema["enum"] = ["", *sorted({level.id for iid in instruments.available(directory)
                                   for level in instruments.cached(iid, str(directory)).levels})]


class AssessmentIn(In):
    instrument: str = Field(max_length=60, json_schema_extra=_instruments)
    answers: dict[str, AnswerIn] = Field(default_factory=dict, description=(
        "By item id of the instrument; an item left out is not known."))
    judgement: str = Field("", max_length=30, json_schema_extra=_levels, description=(
        "A higher level than the score gives, if any (a level of the instrument)."))
    reason: str = Field("", max_length=5000)


def assessment_out(a: Assessment) -> dict[str, Any]:
    return {"id": a.pk, "instrument": a.instrument, "instrument_version": a.instrument_version,
            "score": a.score, "computed_level": a.computed_level, "level": a.level,
            "judgement_reason": a.judgement_reason, "answers": a.answers,
            "event": a.event.number, "created_at": a.created_at}


@router.get("/cases/{ref}/risk-assessments", response=list[AssessmentOut], auth=READ,
            summary="A case's risk assessments, newest first")
def list_assessments(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "risk")
    rows = Assessment.objects.filter(case=case).select_related("event").order_by(
        "-created_at", "-pk")
    return [assessment_out(a) for a in rows]


@router.post("/cases/{ref}/risk-assessments", response={201: AssessmentOut}, auth=WRITE,
             summary="Record a completed assessment")
def create_assessment(request: HttpRequest, ref: str, payload: AssessmentIn) -> Status:
    case = case_for(request, ref, write=True)
    risk.instrument(payload.instrument)  # an unknown one: 422 on "instrument"
    answers = {key: risk.AnswerInput(a.answer, a.suggestion)
               for key, a in payload.answers.items()}
    made = risk.record_assessment(case, request.user,  # type: ignore[arg-type]
                                  payload.instrument, answers, payload.judgement,
                                  payload.reason, policy.sees_restricted(case))
    return Status(201, assessment_out(Assessment.objects.select_related("event").get(
        pk=made.pk)))


# --- referrals -----------------------------------------------------------------------------

class ReferralOut(Schema):
    id: int
    provider: str
    need: str
    state: str
    grant: int
    categories: list[str]
    created_at: datetime
    updated_at: datetime


class ReferralIn(In):
    provider: Id
    need: str = Field(max_length=20, json_schema_extra=one_of(referral_rules.NEEDS))
    grant: Id = Field(description="The survivor's consent to a referral it is made under.")
    categories: list[str] = Field(
        default_factory=list, max_length=20,
        description="The kinds of data the letter may carry (to a service outside Qorgau, "
                    "at least one).",
        json_schema_extra={"items": {"type": "string", **one_of(consent_rules.CATEGORIES)}})
    note: str = Field("", max_length=5000)


def referral_out(r: Referral) -> dict[str, Any]:
    return {"id": r.pk, "provider": r.provider.name, "need": r.need, "state": r.state,
            "grant": r.grant_id, "categories": list(r.categories),
            "created_at": r.created_at, "updated_at": r.updated_at}


@router.get("/cases/{ref}/referrals", response=list[ReferralOut], auth=READ,
            summary="A case's referrals")
def list_referrals(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "referrals")
    rows = Referral.objects.filter(case=case).select_related("provider").order_by("pk")
    return [referral_out(r) for r in rows]


@router.post("/cases/{ref}/referrals", response={201: ReferralOut}, auth=WRITE,
             summary="Refer her to a service (under her consent to a referral)")
def create_referral(request: HttpRequest, ref: str, payload: ReferralIn) -> Status:
    case = case_for(request, ref, write=True)
    provider = Provider.objects.filter(pk=payload.provider).first()
    if provider is None:
        raise ApiError(422, "invalid", _("Choose a service from the directory."), "provider")
    made = referrals.make_referral(case, request.user,  # type: ignore[arg-type]
                                   provider=provider, need=payload.need,
                                   grant_id=payload.grant, categories=payload.categories,
                                   note=payload.note)
    return Status(201, referral_out(made))


# --- proceedings ---------------------------------------------------------------------------

class FlagOut(Schema):
    id: str
    text: str
    events: list[int]
    note: str = Field("", description="The observer's note, or the words recorded.")


class PeriodOut(Schema):
    state: str = Field(description="pretrial, measure or sentence.")
    measure: str
    start: date
    start_event: int
    end: date | None
    end_event: int | None


class ProceedingOut(Schema):
    id: int
    kind: str
    court: str
    case_number: str
    status: str
    judge: str
    outcome: str
    sentence_penalty: str
    sentence_term: str
    act_against_respondent: bool
    charges: list[dict[str, str]]
    events: list[int]
    custody: list[PeriodOut] = Field(description="Custody and restrictions of the accused.")
    pretrial_months: int | None = Field(description="Pre-trial detention, whole months.")
    length_months: int | None = Field(
        description="From the first charge to the final decision (or today).")
    grounds: list[str] = Field(description="For the survivor accused of an act against her "
                                           "abuser: what the court must weigh.")
    flags: list[FlagOut]


class ChargeIn(In):
    text: str = Field(min_length=1, max_length=500, json_schema_extra=text(NOT_BLANK))
    article: str = Field("", max_length=100)


class ProceedingIn(In):
    kind: str = Field(max_length=30, json_schema_extra=one_of(Proceeding.Kind.values))
    court: str = Field(max_length=200, json_schema_extra=text(NOT_BLANK))
    case_number: str = Field("", max_length=100)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=20)
    events: list[Id] = Field(default_factory=list, max_length=200,
                             description="Numbers of the events it groups.")


class ProceedingPatch(In):
    status: str | None = Field(None, max_length=20, json_schema_extra=one_of(
        Proceeding.Status.values, null=True))
    court: str | None = Field(None, max_length=200, json_schema_extra=text(NOT_BLANK))
    case_number: str | None = Field(None, max_length=100)
    judge: str | None = Field(None, max_length=200)
    outcome: str | None = Field(None, max_length=20, json_schema_extra=one_of(
        Proceeding.Outcome.values, null=True))
    sentence_penalty: str | None = Field(
        None, max_length=20, description="Only with a conviction.",
        json_schema_extra=one_of(taxonomy.PENALTIES, blank=True, null=True))
    sentence_term: str | None = Field(None, max_length=200)
    act_against_respondent: bool | None = None
    charges: list[ChargeIn] | None = Field(None, max_length=20)
    reclassified_on: When | None = Field(
        None, description="With new charges: the date they were reclassified (an event is "
                          "recorded); without it, the change corrects a mistake.")


class StepIn(EventIn):
    """An event of the proceeding: the same as any event, of a kind that is a step."""

    kind: str = Field(max_length=40, description="A step of proceedings.",
                      json_schema_extra=one_of(sorted(proceedings.PROCEEDING_KINDS)))


def proceeding_out(p: Proceeding) -> dict[str, Any]:
    found = proceedings.picture(p)
    return {"id": p.pk, "kind": p.kind, "court": p.court, "case_number": p.case_number,
            "status": p.status, "judge": p.judge, "outcome": p.outcome,
            "sentence_penalty": p.sentence_penalty, "sentence_term": p.sentence_term,
            "act_against_respondent": p.act_against_respondent, "charges": list(p.charges),
            "events": sorted(p.events.values_list("number", flat=True)),
            "custody": [{"state": c.state, "measure": c.measure, "start": c.start,
                         "start_event": c.start_event, "end": c.end,
                         "end_event": c.end_event} for c in found.periods],
            "pretrial_months": found.clock.months if found.clock else None,
            "length_months": found.length.months if found.length else None,
            "grounds": [g.id for g in found.grounds],
            "flags": [{"id": f.id, "text": f.text(_), "events": list(f.events),
                       "note": f.note} for f in found.flags]}


def _proceeding(case: Any, proceeding_id: int) -> Proceeding:
    found = Proceeding.objects.filter(case=case, pk=proceeding_id).first()
    if found is None:
        raise ApiError(404, "not_found", _("No such proceeding in this case."))
    return found


@router.get("/cases/{ref}/proceedings", response=list[ProceedingOut], auth=READ,
            summary="A case's proceedings, with their fair-trial flags")
def list_proceedings(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "proceedings")
    return [proceeding_out(p) for p in Proceeding.objects.filter(case=case).order_by("pk")]


@router.post("/cases/{ref}/proceedings", response={201: ProceedingOut}, auth=WRITE,
             summary="Open a proceeding")
def create_proceeding(request: HttpRequest, ref: str, payload: ProceedingIn) -> Status:
    case = case_for(request, ref, write=True)
    events = list(Event.objects.filter(case=case, number__in=payload.events)
                  .visible_to_role(getattr(case, "viewer_role", None)))
    if len(events) != len(set(payload.events)):
        raise ApiError(422, "invalid", _("A linked event is not in this case."), "events")
    made = proceedings.open_proceeding(
        case, request.user, kind=payload.kind, court=payload.court,  # type: ignore[arg-type]
        case_number=payload.case_number,
        charges=[c.model_dump() for c in payload.charges], events=events)
    return Status(201, proceeding_out(made))


@router.patch("/cases/{ref}/proceedings/{proceeding_id}", response=ProceedingOut, auth=WRITE,
              summary="Change a proceeding: status, court, judge, charges, outcome, sentence")
def update_proceeding(request: HttpRequest, ref: str, proceeding_id: Path[Id],
                      payload: ProceedingPatch) -> dict[str, Any]:
    case = case_for(request, ref, write=True)
    proceeding = _proceeding(case, proceeding_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"reclassified_on"})
    when = payload.reclassified_on
    span = None if when is None else case_services.parse_span(
        when.start, when.end, when.qualifier, when.recurrence)
    proceedings.update_proceeding(proceeding, request.user,  # type: ignore[arg-type]
                                  reclassified_on=span, **changes)
    return proceeding_out(proceeding)


@router.post("/cases/{ref}/proceedings/{proceeding_id}/steps", response={201: ProceedingOut},
             auth=WRITE, summary="Record a step of a proceeding (arrest, measure, release, "
                                 "hearing, verdict, sentence, appeal...) on the timeline")
def record_step(request: HttpRequest, ref: str, proceeding_id: Path[Id],
                payload: StepIn) -> Status:
    case = case_for(request, ref, write=True)
    proceeding = _proceeding(case, proceeding_id)
    proceedings.record_step(proceeding, request.user,  # type: ignore[arg-type]
                            event_input(case, payload))
    return Status(201, proceeding_out(proceeding))
