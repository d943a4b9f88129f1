"""Risk assessments, referrals and proceedings of a case: read them, and make new ones
through the same services as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.routers.common import case_for, viewed
from qorgau.api.schemas import Id, In
from qorgau.cases.models import Event
from qorgau.proceedings import services as proceedings
from qorgau.proceedings.models import Proceeding
from qorgau.referrals import services as referrals
from qorgau.referrals.models import Provider, Referral
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


class AssessmentIn(In):
    instrument: str = Field(max_length=60)
    answers: dict[str, AnswerIn] = Field(default_factory=dict)
    judgement: str = Field("", max_length=30, description="A higher level, if any.")
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
                                  payload.reason, bool(getattr(case, "sees_restricted", False)))
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
    need: str = Field(max_length=20)
    grant: Id = Field(description="The survivor's consent to a referral it is made under.")
    categories: list[str] = Field(default_factory=list, max_length=20)
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


class ProceedingOut(Schema):
    id: int
    kind: str
    court: str
    case_number: str
    status: str
    charges: list[dict[str, str]]
    events: list[int]
    flags: list[FlagOut]


class ChargeIn(In):
    text: str = Field(min_length=1, max_length=500)
    article: str = Field("", max_length=100)


class ProceedingIn(In):
    kind: str = Field(max_length=30)
    court: str = Field(max_length=200)
    case_number: str = Field("", max_length=100)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=20)
    events: list[Id] = Field(default_factory=list, max_length=200,
                             description="Numbers of the events it groups.")


def proceeding_out(p: Proceeding) -> dict[str, Any]:
    found = proceedings.picture(p)
    return {"id": p.pk, "kind": p.kind, "court": p.court, "case_number": p.case_number,
            "status": p.status, "charges": list(p.charges),
            "events": sorted(p.events.values_list("number", flat=True)),
            "flags": [{"id": f.id, "text": f.text(_), "events": list(f.events)}
                      for f in found.flags]}


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
