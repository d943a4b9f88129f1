"""Cases, parties, events and obligations."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from qorgau.accounts.models import CASE_ROLES, Membership, Organisation
from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.routers.common import case_for, decode_cursor, encode_cursor, viewed
from qorgau.api.schemas import (
    CaseIn,
    CaseOut,
    CasePage,
    CorrectionIn,
    EventIn,
    EventOut,
    EventPage,
    Id,
    ObligationOut,
    PartyIn,
    PartyOut,
    PartyPatch,
    StatusIn,
    When,
    one_of,
)
from qorgau.cases import policy, regions, services, taxonomy
from qorgau.cases.dates import DateSpan
from qorgau.cases.models import Case, CaseAssignment, Event, EventLink, EventParty, Party

router = Router(tags=["cases"])
READ, WRITE = needs("read"), needs("write")


def case_out(case: Case, access: str | None = None) -> dict[str, Any]:
    return {"reference": case.reference, "organisation": case.organisation.slug,
            "region": regions.canonical(case.region),
            "country": regions.country_of(case.region),
            "profile": case.profile, "status": case.status,
            "created_at": case.created_at,
            "access": access or getattr(case, "access", None)}


# --- cases ---------------------------------------------------------------------------------

class CaseFilters(Schema):
    status: str | None = Field(None, max_length=10)
    region: str | None = Field(None, max_length=40, description="An ISO 3166-2 region code.")
    country: str | None = Field(None, max_length=2,
                                description="ISO 3166-1 alpha-2: cases in that country.")
    q: str | None = Field(None, max_length=200, description=(
        "Not accepted here (400 search_by_post): a name in a URL is kept by browsers, proxies "
        "and access logs. Search with POST /api/v1/cases/search."))
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


class CaseSearch(Schema):
    q: str = Field("", max_length=200,
                   description="A reference, or a party's exact full name (capitals and "
                               "spaces do not matter).")
    status: str | None = Field(None, max_length=10)
    region: str | None = Field(None, max_length=40, description="An ISO 3166-2 region code.")
    country: str | None = Field(None, max_length=2,
                                description="ISO 3166-1 alpha-2: cases in that country.")
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


def _case_page(request: HttpRequest, filters: CaseFilters | CaseSearch, q: str
               ) -> dict[str, Any]:
    cases = services.find_cases(request.user, q=q, status=filters.status or "",
                                region=filters.region or "", country=filters.country or "")
    after = decode_cursor(filters.cursor)
    if after is not None:
        cases = cases.filter(pk__lt=after)
    cases = cases.select_related("organisation").distinct().order_by("-pk").prefetch_related(
        Prefetch("assignments", to_attr="mine",
                 queryset=request.user.case_assignments.all()))  # type: ignore[union-attr]
    rows = list(cases[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    mine = {c.pk: c.mine[0].access if c.mine else None for c in rows}  # type: ignore[attr-defined]
    return {"items": [case_out(c, mine[c.pk]) for c in rows],
            "next_cursor": encode_cursor(rows[-1].pk) if more and rows else None}


@router.get("/cases", response=CasePage, auth=READ, summary="Cases you are assigned to")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    if filters.q is not None:
        raise ApiError(400, "search_by_post", _(
            "Search by name or reference with POST /api/v1/cases/search: a name in a web "
            "address is kept in browser histories and server logs."), "q")
    return _case_page(request, filters, "")


@router.post("/cases/search", response=CasePage, auth=READ,
             summary="Find cases you are assigned to by reference or full name")
def search_cases(request: HttpRequest, payload: CaseSearch) -> dict[str, Any]:
    """The same list as GET /cases, with the name in the body, out of every URL."""
    return _case_page(request, payload, payload.q)


@router.post("/cases", response={201: CaseOut}, auth=WRITE, summary="Open a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Status:
    memberships = Membership.objects.filter(user=request.user,  # type: ignore[misc]
                                            role__in=CASE_ROLES)
    if payload.organisation:
        organisation = Organisation.objects.filter(
            slug=payload.organisation, memberships__in=memberships).first()
        if organisation is None:
            raise ApiError(422, "invalid", _("You cannot open cases in this organisation."),
                           "organisation")
    else:
        found = list(Organisation.objects.filter(memberships__in=memberships)[:2])
        if len(found) != 1:
            raise ApiError(422, "invalid", _("Name the organisation the case belongs to."),
                           "organisation")
        organisation = found[0]
    with transaction.atomic():
        case = services.create_case(organisation, request.user,  # type: ignore[arg-type]
                                    region=payload.region, profile=payload.profile)
        if payload.survivor_name.strip():
            services.add_party(case, request.user,  # type: ignore[arg-type]
                               role="survivor", relationship="self",
                               full_name=payload.survivor_name)
    return Status(201, case_out(case, "write"))


@router.get("/cases/{ref}", response=CaseOut, auth=READ, summary="One case")
def get_case(request: HttpRequest, ref: str) -> dict[str, Any]:
    case = case_for(request, ref)
    viewed(case, request, "case")
    return case_out(case)


@router.post("/cases/{ref}/status", response=CaseOut, auth=WRITE,
             summary="Close or reopen a case")
def set_status(request: HttpRequest, ref: str, payload: StatusIn) -> dict[str, Any]:
    case = case_for(request, ref, write=True)
    services.set_status(case, request.user, payload.status)  # type: ignore[arg-type]
    return case_out(case)


# --- parties -------------------------------------------------------------------------------

def party_out(party: Party) -> dict[str, Any]:
    return {name: getattr(party, name) for name in (
        "id", "role", "relationship", "co_resident", "institution", "full_name",
        "other_names", "birth_date", "address", "phone", "documents", "notes")}


@router.get("/cases/{ref}/parties", response=list[PartyOut], auth=READ,
            summary="The people in a case")
def list_parties(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "parties")
    return [party_out(p) for p in case.parties.all()]


@router.post("/cases/{ref}/parties", response={201: PartyOut}, auth=WRITE,
             summary="Add a person to a case")
def add_party(request: HttpRequest, ref: str,
              payload: PartyIn) -> Status:
    case = case_for(request, ref, write=True)
    party = services.add_party(case, request.user,  # type: ignore[arg-type]
                               **payload.model_dump())
    return Status(201, party_out(party))


@router.patch("/cases/{ref}/parties/{party_id}", response=PartyOut, auth=WRITE,
              summary="Change a person's details")
def update_party(request: HttpRequest, ref: str, party_id: Path[Id],
                 payload: PartyPatch) -> dict[str, Any]:
    case = case_for(request, ref, write=True)
    party = Party.objects.filter(case=case, pk=party_id).first()
    if party is None:
        raise ApiError(404, "not_found", _("Not found."))
    values = payload.model_dump(exclude_unset=True)
    party = services.update_party(party, request.user, **values)  # type: ignore[arg-type]
    return party_out(party)


# --- the case's people (who works on it) ---------------------------------------------------

class PersonOut(Schema):
    user: int
    email: str
    access: str = Field(description="write or read")
    since: date


class PersonIn(Schema):
    user: Id = Field(description="A colleague's user id, a member of the case's organisation.")
    access: str = Field("write", max_length=10, description="write or read",
                        json_schema_extra=one_of(CaseAssignment.Access.values))


class HandOverIn(Schema):
    to: Id = Field(description="Who takes the case over (write access).")


def _people(case: Case) -> list[dict[str, Any]]:
    return [{"user": a.user_id, "email": a.user.email, "access": a.access,
             "since": a.created_at.date()}
            for a in case.assignments.select_related("user").order_by("pk")]


def _colleague(case: Case, user_id: int) -> Any:
    membership = Membership.objects.filter(
        organisation_id=case.organisation_id, user_id=user_id, role__in=CASE_ROLES,
        user__is_active=True).select_related("user").first()
    if membership is None:
        raise ApiError(422, "invalid", _("This person is not a colleague in the case's "
                                         "organisation."), "user")
    return membership.user


@router.get("/cases/{ref}/people", response=list[PersonOut], auth=READ,
            summary="Who works on a case")
def list_people(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "people")
    return _people(case)


@router.post("/cases/{ref}/people", response=list[PersonOut], auth=WRITE,
             summary="Add a colleague to a case, or change her access")
def add_person(request: HttpRequest, ref: str, payload: PersonIn) -> list[dict[str, Any]]:
    case = case_for(request, ref, write=True)
    services.add_person(case, request.user,  # type: ignore[arg-type]
                        _colleague(case, payload.user), payload.access)
    return _people(case)


@router.delete("/cases/{ref}/people/{user_id}", response=list[PersonOut], auth=WRITE,
               summary="Remove a person from a case")
def remove_person(request: HttpRequest, ref: str, user_id: Path[Id]) -> list[dict[str, Any]]:
    case = case_for(request, ref, write=True)
    services.remove_person(case, request.user,  # type: ignore[arg-type]
                           _colleague(case, user_id))
    return _people(case)


@router.post("/cases/{ref}/people/{user_id}/handover", response=list[PersonOut], auth=WRITE,
             summary="Hand a case over from one person to another")
def hand_over(request: HttpRequest, ref: str, user_id: Path[Id],
              payload: HandOverIn) -> list[dict[str, Any]]:
    case = case_for(request, ref, write=True)
    services.hand_over(case, request.user,  # type: ignore[arg-type]
                       _colleague(case, user_id), _colleague(case, payload.to))
    return _people(case)


# --- events --------------------------------------------------------------------------------

def _visible_events(case: Case) -> Any:
    return Event.objects.filter(case=case).visible_to_role(getattr(case, "viewer_role", None))


def event_out(event: Event, sees_restricted: bool) -> dict[str, Any]:
    links = [{"event": link.target.number, "kind": link.kind}
             for link in event.links_out.all()
             if policy.kind_visible(link.target.kind, sees_restricted)]
    newer = getattr(event, "superseded_by", None)
    return {
        "number": event.number, "kind": event.kind,
        "when": {"start": event.when_start, "end": event.when_end,
                 "qualifier": event.qualifier, "recurrence": event.recurrence},
        "source": event.source, "reliability": event.reliability,
        "institution": event.institution, "institution_unit": event.institution_unit,
        "attributes": event.attributes, "place": event.place, "narrative": event.narrative,
        "parties": [{"party": ep.party_id, "role": ep.role}
                    for ep in event.event_parties.all()],
        "links": links,
        "supersedes": event.supersedes.number if event.supersedes else None,
        "superseded_by": newer.number if newer else None,
        "correction_reason": event.correction_reason,
        "recorded_at": event.recorded_at,
    }


def _with_relations(events: Any) -> Any:
    return events.select_related("supersedes", "superseded_by").prefetch_related(
        Prefetch("event_parties", queryset=EventParty.objects.order_by("pk")),
        Prefetch("links_out", queryset=EventLink.objects.select_related("target")
                 .only("id", "kind", "source_id", "target_id", "target__number",
                       "target__kind").order_by("pk")),
    )


def _shown(case: Case, events: list[Event]) -> list[dict[str, Any]]:
    sees = policy.sees_restricted(case)
    return [event_out(e, sees) for e in events]


class EventFilters(Schema):
    kind: str | None = Field(None, max_length=40)
    group: str | None = Field(None, max_length=20, description="abuse, response, services, "
                              "proceedings or wellbeing.")
    institution: str | None = Field(None, max_length=20)
    since: date | None = Field(None, description="Events that may have happened on or "
                               "after this day.")
    until: date | None = Field(None, description="Events that began on or before this day.")
    history: bool = Field(False, description="Include versions replaced by corrections.")
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=200)


@router.get("/cases/{ref}/events", response=EventPage, auth=READ,
            summary="A case's timeline, by event number")
def list_events(request: HttpRequest, ref: str,
                filters: Query[EventFilters]) -> dict[str, Any]:
    case = case_for(request, ref)
    events = _visible_events(case)
    if not filters.history:
        events = events.current()
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.group:
        events = events.filter(kind__in=[k.id for k in taxonomy.KINDS
                                         if k.group == filters.group])
    if filters.institution:
        events = events.filter(institution=filters.institution)
    if filters.since:
        events = events.filter(sort_end__gte=filters.since)
    if filters.until:
        events = events.filter(sort_start__lte=filters.until)
    after = decode_cursor(filters.cursor)
    if after is not None:
        events = events.filter(number__gt=after)
    rows = list(_with_relations(events.order_by("number"))[: filters.limit + 1])
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    viewed(case, request, "events")
    return {"items": _shown(case, rows),
            "next_cursor": encode_cursor(rows[-1].number) if more and rows else None}


def event_input(case: Case, payload: EventIn) -> services.EventInput:
    unknown = sorted(set(payload.attributes) - set(taxonomy.ATTRIBUTES))
    if unknown:
        raise ApiError(422, "invalid", _("Unknown attributes: %(names)s") % {
            "names": ", ".join(unknown)}, "attributes")
    parties = {p.pk: p for p in case.parties.filter(pk__in=[p.party for p in payload.parties])}
    missing = [p.party for p in payload.parties if p.party not in parties]
    if missing:
        raise ApiError(422, "invalid", _("A party is not in this case."), "parties")
    numbers = [link.event for link in payload.links]
    targets = {e.number: e for e in _visible_events(case).filter(number__in=numbers)}
    if any(n not in targets for n in numbers):
        raise ApiError(422, "invalid", _("A linked event is not in this case."), "links")
    when = payload.when
    report = None
    if payload.report is not None:
        at = payload.report.when
        report = services.ReportInput(
            to=payload.report.to, mode=payload.report.mode, by=payload.report.by,
            referral_requested=payload.report.referral_requested,
            span=None if at is None else _report_span(at))
    return services.EventInput(
        kind=payload.kind,
        span=services.parse_span(when.start, when.end, when.qualifier, when.recurrence),
        source=payload.source, reliability=payload.reliability,
        narrative=payload.narrative, place=payload.place, institution=payload.institution,
        institution_unit=payload.institution_unit, attributes=dict(payload.attributes),
        parties=[(parties[p.party], p.role) for p in payload.parties],
        links=[(targets[link.event], link.kind) for link in payload.links],
        report=report,
    )


def _report_span(when: When) -> DateSpan:
    try:
        return services.parse_span(when.start, when.end, when.qualifier, when.recurrence)
    except ValidationError as exc:
        raise ValidationError({"report": exc.error_dict["when_start"]}) from exc


def _one_event(case: Case, number: int) -> Event:
    event = _with_relations(_visible_events(case)).filter(number=number).first()
    if event is None:
        raise ApiError(404, "not_found", _("Not found."))
    return event


@router.post("/cases/{ref}/events", response={201: EventOut}, auth=WRITE,
             summary="Record an event")
def create_event(request: HttpRequest, ref: str,
                 payload: EventIn) -> Status:
    case = case_for(request, ref, write=True)
    event = services.record_event(case, request.user,  # type: ignore[arg-type]
                                  event_input(case, payload))
    return Status(201, _shown(case, [_one_event(case, event.number)])[0])


@router.get("/cases/{ref}/events/{number}", response=EventOut, auth=READ,
            summary="One event")
def get_event(request: HttpRequest, ref: str, number: Path[Id]) -> dict[str, Any]:
    case = case_for(request, ref)
    event = _one_event(case, number)
    viewed(case, request, f"event:{number}")
    return _shown(case, [event])[0]


@router.post("/cases/{ref}/events/{number}/corrections", response={201: EventOut},
             auth=WRITE, summary="Correct an event (a new event that supersedes it)")
def correct_event(request: HttpRequest, ref: str, number: Path[Id],
                  payload: CorrectionIn) -> Status:
    case = case_for(request, ref, write=True)
    original = _one_event(case, number)
    if getattr(original, "superseded_by", None) is not None:
        raise ApiError(409, "already_corrected", _(
            "This event has already been corrected; correct the newest version instead."))
    event = services.correct_event(original, request.user,  # type: ignore[arg-type]
                                   event_input(case, payload), payload.reason)
    return Status(201, _shown(case, [_one_event(case, event.number)])[0])


# --- obligations ---------------------------------------------------------------------------

class ObligationFilters(Schema):
    status: str | None = Field(None, max_length=20,
                               description="pending, met, breached or not_applicable.")


@router.get("/cases/{ref}/obligations", response=list[ObligationOut], auth=READ,
            summary="What the authorities owed her, and whether they did it")
def list_obligations(request: HttpRequest, ref: str,
                     filters: Query[ObligationFilters]) -> list[dict[str, Any]]:
    from qorgau.duties import services as duties
    from qorgau.duties.views import by_urgency, present

    case = case_for(request, ref)
    shown = by_urgency(present(duties.visible_obligations(case)))
    viewed(case, request, "obligations")
    return [{
        "rule_id": d.row.rule_id, "title": d.title, "duty_bearer": d.bearer,
        "status": d.status, "trigger": d.row.trigger.number,
        "satisfied_by": d.row.satisfied_by.number if d.row.satisfied_by else None,
        "due_earliest": d.row.due_earliest, "due_latest": d.row.due_latest,
        "late": d.row.late, "confirmed": d.confirmed, "basis": d.basis,
        "explanation": str(d.explanation),
    } for d in shown if not filters.status or d.status == filters.status]
