"""Narratives (issue 31): a text handed in on a case, read in the background into proposed
events, each accepted (as proposed or corrected), rejected, or reconsidered by a person. The
same service as the pages (qorgau.intake.services): nothing reaches the timeline before a
person accepts it, each accepted event is on the ledger, and the narrative's record carries
every decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Schema, Status
from pydantic import Field

from qorgau.api.auth import needs
from qorgau.api.errors import ApiError
from qorgau.api.routers.common import case_for, viewed
from qorgau.api.schemas import NOT_BLANK, Id, In, one_of
from qorgau.cases import dates, policy, taxonomy
from qorgau.cases.models import Case, EventParty
from qorgau.intake import extract, services
from qorgau.intake.models import Narrative, Proposal

router = Router(tags=["narratives"])
READ, WRITE = needs("read"), needs("write")


class NarrativeIn(In):
    text: str = Field(description=(
        "The narrative, as plain text (a statement, a letter, a decision) in Russian, Kazakh "
        "or English. It is kept as an exhibit of the case. Up to 100,000 characters."),
        json_schema_extra={"maxLength": services.MAX_CHARS, "pattern": NOT_BLANK})
    lang: str = Field("", max_length=2, description="ru, kk or en; empty: recognised.",
                      json_schema_extra=one_of(extract.LANGUAGES, blank=True))
    source: str = Field("survivor", max_length=20,
                        description="What the text is; the source of every event from it.",
                        json_schema_extra=one_of(taxonomy.SOURCES))
    reliability: str = Field("unverified", max_length=20,
                             description="How reliable the events from it are.",
                             json_schema_extra=one_of(taxonomy.RELIABILITY))


class NarrativeOut(Schema):
    id: int
    status: str = Field(description="queued, extracting, ready or failed.")
    progress: int = Field(description="0-100 while the text is read.")
    message: str
    lang: str
    source: str
    reliability: str
    exhibit: int = Field(description="Number of the exhibit that keeps the text.")
    text_sha256: str
    created_at: datetime
    proposals: int
    pending: int = Field(description="Proposals still to be decided.")


class ProposedWhen(Schema):
    start: str
    end: str
    qualifier: str
    recurrence: str
    text: str = Field(description="The words of the text the date was read from.")


class PartyRole(In):
    party: Id = Field(description="A party of the case (GET /cases/{ref}/parties).")
    role: str = Field(max_length=20, json_schema_extra=one_of(EventParty.Role.values))


class EventLinkTo(In):
    event: Id = Field(description="Number of an event of the case (its newest version).")
    kind: str = Field(max_length=20, json_schema_extra=one_of(taxonomy.LINK_KINDS))


class ProposalOut(Schema):
    id: int
    index: int = Field(description="Its place in the text, from 1.")
    status: str = Field(description="pending, accepted or rejected.")
    kind: str
    when: ProposedWhen
    institution: str
    reported_to: str
    sentence: str = Field(description="The sentence it came from, word for word.")
    start: int = Field(description="The sentence's offset in the text (characters).")
    end: int
    actors: list[str] = Field(description=(
        "Who the sentence names by their tie to her: partner, parent, in_law, sibling, "
        "child."))
    parties: list[PartyRole] = Field(description=(
        "For a pending proposal, the case's parties an acceptance would name (as proposed "
        "now); empty once decided."))
    event: int | None = Field(description="The event it became, if accepted.")
    current_event: int | None = Field(description=(
        "That event's newest version, after corrections: an accepted proposal is changed "
        "or undone by correcting this event (POST /cases/{ref}/events/{number}/corrections)."
    ))
    decided_at: datetime | None


class WhenEdit(In):
    start: str = Field("", max_length=40, description=(
        "As people type it (26.02.2024, 02.2024, 2024) or partial ISO; empty: unknown."))
    end: str = Field("", max_length=40)


class DecisionIn(In):
    proposal: Id = Field(description="The proposal's id.")
    accept: bool
    kind: str | None = Field(None, max_length=40, description="A corrected kind; null: as "
                             "proposed.", json_schema_extra=one_of(taxonomy.BY_ID, null=True))
    when: WhenEdit | None = Field(None, description="Corrected dates; null: as proposed.")
    institution: str | None = Field(None, max_length=20, json_schema_extra=one_of(
        taxonomy.INSTITUTIONS, blank=True, null=True))
    parties: list[PartyRole] | None = Field(None, max_length=50, description=(
        "The parties the event names; null: as proposed (see the proposal's parties)."))
    links: list[EventLinkTo] | None = Field(None, max_length=50, description=(
        "Links from the event to earlier events; null: as proposed (a report to the "
        "incident told in its sentence or the one before, an answer to the report)."))


class ReviewIn(In):
    decisions: list[DecisionIn] = Field(min_length=1, max_length=1000)


class ReviewOut(Schema):
    accepted: list[int] = Field(description="Numbers of the events recorded, in order.")
    rejected: int


def narrative_out(narrative: Narrative) -> dict[str, Any]:
    statuses = list(narrative.proposals.values_list("status", flat=True))
    return {
        "id": narrative.pk, "status": narrative.status, "progress": narrative.progress,
        "message": narrative.message, "lang": narrative.lang, "source": narrative.source,
        "reliability": narrative.reliability, "exhibit": narrative.exhibit.number,
        "text_sha256": narrative.text_sha256, "created_at": narrative.created_at,
        "proposals": len(statuses),
        "pending": sum(1 for s in statuses if s == Proposal.Status.PENDING),
    }


def proposal_out(proposal: Proposal, parties: list[Any]) -> dict[str, Any]:
    data = proposal.data
    when = data.get("when", {})
    pending = proposal.status == Proposal.Status.PENDING
    return {
        "id": proposal.pk, "index": proposal.index, "status": proposal.status,
        "kind": data.get("kind", ""),
        "when": {"start": when.get("start", ""), "end": when.get("end", ""),
                 "qualifier": when.get("qualifier", dates.QUALIFIERS[0]),
                 "recurrence": when.get("recurrence", dates.RECURRENCES[0]),
                 "text": when.get("text", "")},
        "institution": data.get("institution", ""), "reported_to": data.get("reported_to", ""),
        "sentence": data.get("sentence", ""), "start": int(data.get("start", 0)),
        "end": int(data.get("end", 0)), "actors": list(data.get("actors", [])),
        "parties": ([{"party": party.pk, "role": role}
                     for party, role in services.proposed_parties(parties, data)]
                    if pending else []),
        "event": proposal.event.number if proposal.event else None,
        "current_event": services.current(proposal.event).number if proposal.event else None,
        "decided_at": proposal.decided_at,
    }


def _narrative(case: Case, pk: int) -> Narrative:
    narrative = Narrative.objects.select_related("exhibit", "case").filter(
        case=case, pk=pk).first()
    if narrative is None:
        raise ApiError(404, "not_found", _("Not found."))
    return narrative


@router.get("/cases/{ref}/narratives", response=list[NarrativeOut], auth=READ,
            summary="A case's narratives")
def list_narratives(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    viewed(case, request, "narratives")
    return [narrative_out(n) for n in Narrative.objects.filter(case=case).select_related(
        "exhibit")]


@router.post("/cases/{ref}/narratives", response={202: NarrativeOut}, auth=WRITE,
             summary="Add a narrative (read in the background; poll its status)")
def add_narrative(request: HttpRequest, ref: str, payload: NarrativeIn) -> Status:
    case = case_for(request, ref, write=True)
    source = services.read_source(text=payload.text, lang=payload.lang)
    narrative = services.add_narrative(case, request.user, source,  # type: ignore[arg-type]
                                       kind=payload.source, reliability=payload.reliability)
    return Status(202, narrative_out(narrative))


@router.get("/cases/{ref}/narratives/{narrative_id}", response=NarrativeOut, auth=READ,
            summary="A narrative's status and progress")
def get_narrative(request: HttpRequest, ref: str, narrative_id: Path[Id]) -> dict[str, Any]:
    return narrative_out(_narrative(case_for(request, ref), narrative_id))


@router.get("/cases/{ref}/narratives/{narrative_id}/proposals", response=list[ProposalOut],
            auth=READ, summary="The events proposed from a narrative, with their sentences")
def list_proposals(request: HttpRequest, ref: str,
                   narrative_id: Path[Id]) -> list[dict[str, Any]]:
    case = case_for(request, ref)
    narrative = _narrative(case, narrative_id)
    viewed(case, request, f"narrative:{narrative.pk}")
    parties = list(case.parties.all())
    return [proposal_out(p, parties)
            for p in services.visible(narrative, policy.sees_restricted(case))]


@router.post("/cases/{ref}/narratives/{narrative_id}/review", response=ReviewOut, auth=WRITE,
             summary="Accept (as proposed or corrected) or reject proposals")
def review(request: HttpRequest, ref: str, narrative_id: Path[Id],
           payload: ReviewIn) -> dict[str, Any]:
    case = case_for(request, ref, write=True)
    narrative = _narrative(case, narrative_id)
    if narrative.status != Narrative.Status.READY:
        raise ApiError(409, "not_ready", _("The text has not been read yet; try again when "
                                           "its status is ready."))
    decisions = [services.Decision(
        d.proposal, d.accept, kind=d.kind,
        when_start=d.when.start if d.when else None, when_end=d.when.end if d.when else None,
        institution=d.institution,
        parties=None if d.parties is None else [(p.party, p.role) for p in d.parties],
        links=None if d.links is None else [(link.event, link.kind) for link in d.links])
        for d in payload.decisions]
    done = services.review(narrative, request.user, decisions,  # type: ignore[arg-type]
                           policy.sees_restricted(case))
    return {"accepted": [event.number for event in done.accepted], "rejected": done.rejected}


@router.post("/cases/{ref}/narratives/{narrative_id}/proposals/{proposal_id}/reconsider",
             response=ProposalOut, auth=WRITE,
             summary="Reconsider a rejected proposal (pending again)")
def reconsider(request: HttpRequest, ref: str, narrative_id: Path[Id],
               proposal_id: Path[Id]) -> dict[str, Any]:
    """A rejected proposal is pending again. An accepted one is an event: 409, naming the
    event to correct instead."""
    case = case_for(request, ref, write=True)
    narrative = _narrative(case, narrative_id)
    sees = policy.sees_restricted(case)
    found = Proposal.objects.filter(narrative=narrative, pk=proposal_id).first()
    if found is None or not policy.kind_visible(found.data.get("kind"), sees):
        raise ApiError(404, "not_found", _("Not found."))
    try:
        proposal = services.reconsider(narrative, request.user,  # type: ignore[arg-type]
                                       proposal_id, sees)
    except ValidationError as exc:
        raise ApiError(409, "conflict", " ".join(exc.messages)) from exc
    return proposal_out(proposal, list(case.parties.all()))
