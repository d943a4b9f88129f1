"""From a narrative to confirmed events: add the text, propose in the background, review.

`add_narrative` reads the text (pasted, or a plain-text, DOCX or PDF file), refuses what it
cannot read with a plain reason before anything is written, stores the source as an exhibit
of the case (encrypted, hashed: qorgau.evidence) and the narrative in one transaction with
its ledger entry, then queues `extract_narrative` for the background worker. The worker
writes the proposals (`qorgau.intake.extract`) with their progress. Nothing reaches the
timeline until `review` records a person's decisions: each accepted proposal becomes an
event through the cases services (one ledger entry each, marked as from the narrative and
confirmed by the reviewer), each rejected one is kept as rejected; the narrative's ledger
record carries every decision, so `verify` checks them.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from qorgau.accounts.models import User
from qorgau.cases import erasure, policy, records, taxonomy
from qorgau.cases import services as case_services
from qorgau.cases.models import Case, Event, EventParty, Party
from qorgau.evidence import services as evidence
from qorgau.evidence.models import Blob, Exhibit
from qorgau.intake import extract, sources
from qorgau.intake.models import Narrative, Proposal

log = logging.getLogger(__name__)

# A pasted or extracted text longer than this is refused: about 40 pages, already more
# proposals (about 10 a page) than one person reviews at a sitting. Split longer texts.
MAX_CHARS = 100_000
# An uploaded file larger than this is refused before it is read (a DOCX or PDF of 40
# pages of text is far smaller; scans are not read anyway).
MAX_BYTES = 10 * 1024 * 1024
# Characters of the text shown before and after a proposal's sentence on the review screen.
CONTEXT = 240


def _error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def too_long_message(length: int | None = None) -> str:
    if length is None:  # too large to be read at all
        return _("The text is far longer than the limit of %(limit)s characters (about 40 "
                 "pages). Split it and add each part on its own; nothing was stored.") % {
                     "limit": _number(MAX_CHARS)}
    return _("The text is %(length)s characters long; the limit is %(limit)s (about 40 "
             "pages). Split it and add each part on its own; nothing was stored.") % {
                 "length": _number(length), "limit": _number(MAX_CHARS)}


def too_large_message() -> str:
    from django.template.defaultfilters import filesizeformat

    return _("The file is larger than the limit of %(limit)s for a narrative; nothing was "
             "stored.") % {"limit": filesizeformat(MAX_BYTES)}


@dataclass
class Source:
    """What a person handed in, read: the text, and the bytes to keep as the exhibit."""

    text: str
    data: bytes
    name: str
    content_type: str
    lang: str
    pasted: bool = False


def _checked_text(text: str, field: str, lang: str) -> tuple[str, str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _error(field, _("There is no text to read."))
    if len(text) > MAX_CHARS:
        raise _error(field, too_long_message(len(text)))
    if lang and lang not in extract.LANGUAGES:
        raise _error("lang", _("Choose Russian, Kazakh or English."))
    try:
        found = lang or extract.detect_language(text)
    except extract.UnsupportedLanguage as exc:
        raise _error(field, _(
            "The text is not in Russian, Kazakh or English, the languages Qorgau reads; "
            "nothing was stored. If it is in one of them, choose the language.")) from exc
    return text, found


def read_source(*, text: str = "", file: BinaryIO | None = None, name: str = "",
                content_type: str = "", lang: str = "") -> Source:
    """The narrative's text from a paste or a file; ValidationError (nothing written) if it
    cannot be read, is too long, or is in a language Qorgau does not read."""
    if file is not None and text.strip():
        raise _error("text", _("Paste a text or upload a file, not both."))
    if file is None:
        checked, found = _checked_text(text, "text", lang)
        data = checked.encode("utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return Source(checked, data, f"narrative-{stamp}.txt", "text/plain", found, pasted=True)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _error("file", too_large_message())
    if not data:
        raise _error("file", _("The file is empty."))
    try:
        read, media_type = sources.text_of(data, name)
    except sources.Unreadable as exc:
        raise _error("file", _(exc.message) % exc.params if exc.params
                     else _(exc.message)) from exc
    checked, found = _checked_text(read, "file", lang)
    return Source(checked, data, name, media_type, found)


def narrative_record(narrative: Narrative,
                     proposals: Sequence[Proposal] | None = None) -> dict[str, Any]:
    """What the ledger digests for a narrative: its source, how many proposals it has (and a
    digest of them), and every decision a person made."""
    rows = (list(narrative.proposals.select_related("event")) if proposals is None
            else list(proposals))
    digest = hashlib.sha256()
    for p in sorted(rows, key=lambda p: p.index):
        digest.update(f"{p.index}\x00{p.data_json}\x00".encode())
    return {
        "id": narrative.pk, "case": narrative.case_id, "exhibit": narrative.exhibit_id,
        "text_sha256": narrative.text_sha256, "lang": narrative.lang,
        "source": narrative.source, "reliability": narrative.reliability,
        "created_by": narrative.created_by_id, "salt": narrative.salt,
        "proposals": len(rows), "proposals_sha256": digest.hexdigest() if rows else "",
        "decisions": [[p.index, p.status, p.event.number if p.event else None,
                       p.decided_by_id] for p in sorted(rows, key=lambda p: p.index)
                      if p.status != Proposal.Status.PENDING],
    }


def subject(narrative: Narrative) -> str:
    return f"narrative:{narrative.pk}"


def narrative_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: narratives and their decisions as the ledger vouches for them."""
    found = records.by_case(case_ids)
    narratives = Narrative.objects.filter(case_id__in=case_ids).prefetch_related(
        "proposals__event")
    for n in narratives:
        found[n.case_id][subject(n)] = narrative_record(n, list(n.proposals.all()))
    return found


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): proposals, then narratives (their exhibits go with
    the evidence eraser, which runs after this one)."""
    return erasure.delete(Proposal.objects.filter(narrative__case=case),
                          Narrative.objects.filter(case=case))


def _exhibit_for(case: Case, by: User, source: Source) -> tuple[Exhibit, str]:
    """The exhibit that keeps the source: the one already holding these bytes, or a new
    one; and the name of a stored object this call added (to remove on failure)."""
    sha256 = hashlib.sha256(source.data).hexdigest()
    existing = Exhibit.objects.filter(case=case, blob__sha256=sha256).order_by("number").first()
    if existing is not None:
        return existing, ""
    title = (_("Narrative pasted on %(date)s") % {
        "date": timezone.localtime().strftime("%d.%m.%Y %H:%M")} if source.pasted
        else source.name)
    try:
        exhibit = evidence.ingest(case, by, evidence.Upload(
            file=io.BytesIO(source.data), name=source.name, content_type=source.content_type,
            title=title, description=_("The source of events proposed from a narrative.")))
    except ValidationError as exc:  # the evidence checks (a web page with scripts…)
        if source.pasted:
            raise _error("text", " ".join(exc.messages)) from exc
        raise
    return exhibit, exhibit.blob.object_name


def add_narrative(case: Case, by: User, source: Source, *, kind: str = "survivor",
                  reliability: str = "unverified") -> Narrative:
    """Store the source as an exhibit and the narrative, on the ledger, in one transaction;
    then queue its reading. With the immediate task backend it is read before this returns."""
    if kind not in taxonomy.SOURCES:
        raise _error("source", _("Choose a source from the list."))
    if reliability not in taxonomy.RELIABILITY:
        raise _error("reliability", _("Choose a reliability from the list."))
    added = ""
    try:
        with transaction.atomic():
            exhibit, added = _exhibit_for(case, by, source)
            case_services.lock(case)
            narrative = Narrative.objects.create(
                case=case, exhibit=exhibit, text=source.text,
                text_sha256=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
                lang=source.lang, source=kind, reliability=reliability, created_by=by,
                salt=secrets.token_hex(16))
            case_services.append(case, by, "narrative.create", subject(narrative),
                                 narrative_record(narrative, []),
                                 {"exhibit": exhibit.number, "lang": source.lang})
    except BaseException:
        if added:  # the rows are rolled back: the stored object goes too
            evidence.remove_objects([added], lambda name: Blob.objects.filter(
                object_name=name).exists())
        raise
    extract_narrative.enqueue(narrative.pk)
    narrative.refresh_from_db()
    return narrative


def _set(narrative: Narrative, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(narrative, name, value)
    Narrative.objects.filter(pk=narrative.pk).update(**fields)


@task()
def extract_narrative(narrative_id: int) -> str:
    """The background work: propose events from the narrative's text, with progress."""
    narrative = Narrative.objects.select_related("case", "created_by").filter(
        pk=narrative_id).first()
    if narrative is None:  # the case was erased while the text waited
        return "gone"
    if narrative.status == Narrative.Status.READY:
        return narrative.status
    _set(narrative, status=Narrative.Status.EXTRACTING, progress=1, message="")
    last = [1]

    def progress(done: int, total: int) -> None:
        value = 1 + (done * 90 // total if total else 90)
        if value >= last[0] + 5:
            last[0] = value
            _set(narrative, progress=value)

    try:
        found = extract.propose(narrative.text, narrative.lang, progress=progress)
    except Exception:
        log.exception("narrative %s could not be read", narrative.pk)
        _set(narrative, status=Narrative.Status.FAILED,
             message=_("The text could not be read; nothing was proposed."))
        return narrative.status
    with transaction.atomic():
        case_services.lock(narrative.case)
        if Proposal.objects.filter(narrative=narrative).exclude(
                status=Proposal.Status.PENDING).exists():
            return narrative.status  # already reviewed (a second run): keep every decision
        Proposal.objects.filter(narrative=narrative).delete()
        rows = Proposal.objects.bulk_create([
            Proposal(narrative=narrative, index=i,
                     data_json=json.dumps(p.as_dict(), ensure_ascii=False, sort_keys=True))
            for i, p in enumerate(found, start=1)])
        _set(narrative, status=Narrative.Status.READY, progress=100)
        case_services.append(narrative.case, narrative.created_by, "narrative.extract",
                             subject(narrative), narrative_record(narrative, rows),
                             {"proposals": len(rows)})
    return narrative.status


def extraction_abandoned(args: list[Any], kwargs: dict[str, Any], requeued: bool) -> None:
    """The worker reading a narrative died (operations.workers): say so on the page."""
    narrative_id = int(args[0] if args else kwargs["narrative_id"])
    unfinished = Narrative.objects.filter(pk=narrative_id).exclude(
        status=Narrative.Status.READY)
    if requeued:
        unfinished.update(status=Narrative.Status.QUEUED, progress=0, message=_(
            "The worker reading this text stopped; it is being read again."))
    else:
        unfinished.update(status=Narrative.Status.FAILED, message=_(
            "The worker reading this text stopped before it finished, more than once; "
            "nothing was proposed. Add the text again, and if it fails again tell your "
            "administrator."))


# --- review ----------------------------------------------------------------------------------

@dataclass
class Decision:
    """A person's decision on one proposal; for an acceptance, the fields as they confirm
    them (None: as proposed). `parties` are (Party.pk, EventParty role) pairs and `links`
    (event number, link kind) pairs, both None for what `proposed_parties` and
    `proposed_links` propose, [] for none."""

    proposal: int  # Proposal.pk
    accept: bool
    kind: str | None = None
    when_start: str | None = None
    when_end: str | None = None
    institution: str | None = None
    parties: list[tuple[int, str]] | None = None
    links: list[tuple[int, str]] | None = None


# --- parties and links proposed for an accepted proposal -----------------------------------

# The people a sentence names by their tie to her (extract.actors) and the case's parties
# they can be: someone who harms her (role respondent or accomplice) with that relationship.
ACTOR_RELATIONSHIPS: dict[str, set[str]] = {
    "partner": {Party.Relationship.SPOUSE, Party.Relationship.EX_SPOUSE,
                Party.Relationship.PARTNER, Party.Relationship.EX_PARTNER},
    "parent": {Party.Relationship.PARENT},
    "in_law": {Party.Relationship.IN_LAW},
    "sibling": {Party.Relationship.SIBLING},
}
HARMING_ROLES = {Party.Role.RESPONDENT, Party.Role.ACCOMPLICE}
# Kinds a report is about (cases.services.REPORTABLE: abuse, a breach of an order): the
# people in them are who did it and to whom it was done.
INCIDENTS = case_services.REPORTABLE
# Reports, and the answers to a report that the duties read (a refusal, no answer...).
REPORT_KINDS = {"police_report", "report_prosecutor", "court_application", "complaint_official"}
RESPONSE_KINDS = {"police_refusal", "case_refused", "authority_no_response",
                  "detention_refused", "case_discontinued", "lead_not_followed",
                  "evidence_not_collected", "prosecutor_response", "case_opened"}
# How many sentences back a report may be about an incident (or a refusal about a report)
# told before it: the next sentence ("She reported it to the police."), no further.
LINK_REACH = 1


def proposed_parties(parties: Sequence[Party], data: dict[str, Any]) -> list[tuple[Party, str]]:
    """The case's parties an incident's sentence names: each person named by their tie to
    her ("husband", "муж", "күйеуі") who matches exactly one harming party with that
    relationship is the perpetrator; the survivor (when the case has one) is the victim, and
    a child named, when the case has one child, a victim too. Other kinds name no one."""
    if data.get("kind") not in INCIDENTS:
        return []
    found: list[tuple[Party, str]] = []
    for actor in data.get("actors", []):
        if actor == "child":
            children = [p for p in parties if p.role == Party.Role.CHILD]
            if len(children) == 1:
                found.append((children[0], EventParty.Role.VICTIM))
            continue
        matching = [p for p in parties if p.role in HARMING_ROLES
                    and p.relationship in ACTOR_RELATIONSHIPS.get(actor, set())]
        if len(matching) == 1:
            found.append((matching[0], EventParty.Role.PERPETRATOR))
    survivors = [p for p in parties if p.role == Party.Role.SURVIVOR]
    if len(survivors) == 1:
        found.insert(0, (survivors[0], EventParty.Role.VICTIM))
    unique: dict[int, tuple[Party, str]] = {}
    for party, role in found:
        unique.setdefault(party.pk, (party, role))
    return list(unique.values())


def _sentence_index(narrative: Narrative) -> dict[int, int]:
    """Sentence start offset -> its index in the text."""
    return {start: i for i, (start, _end) in enumerate(extract.sentences(narrative.text))}


def proposed_links(data: dict[str, Any], index: dict[int, int],
                   earlier: Sequence[tuple[dict[str, Any], Event]]) -> list[tuple[Event, str]]:
    """Links for an accepted proposal, as the event form makes them: a report `reports` the
    incidents told in its sentence (or, if none, in the sentence before); an answer to a
    report (a refusal, no answer, a case opened) `responds_to` the report in its sentence
    or the one before. `earlier`: this narrative's accepted proposals and their events."""
    kind = data.get("kind")
    if kind in REPORT_KINDS:
        link, targets = "reports", INCIDENTS
    elif kind in RESPONSE_KINDS:
        link, targets = "responds_to", frozenset(REPORT_KINDS)
    else:
        return []
    here = index.get(int(data.get("start", -1)))
    if here is None:
        return []
    for back in range(LINK_REACH + 1):
        found = [event for other, event in earlier
                 if index.get(int(other.get("start", -1))) == here - back
                 and event.kind in targets and other is not data]
        if found:
            return [(event, link) for event in found]
    return []


def current(event: Event) -> Event:
    """The newest version of an event (after its corrections)."""
    while True:
        newer = Event.objects.filter(supersedes=event).first()
        if newer is None:
            return event
        event = newer


@dataclass
class Reviewed:
    accepted: list[Event]
    rejected: int


def visible(narrative: Narrative, sees_restricted: bool) -> list[Proposal]:
    """The narrative's proposals a reader may see (restricted kinds: qorgau.cases.policy)."""
    return [p for p in narrative.proposals.select_related("event", "decided_by")
            if policy.kind_visible(p.data.get("kind"), sees_restricted)]


def _typed(iso: str) -> str:
    """A partial ISO date as people type it: 2024-02-26 -> 26.02.2024, 2024-02 -> 02.2024."""
    parts = iso.split("T")[0].split("-")
    return ".".join(reversed(parts)) if iso else ""


def _when_typed(when: dict[str, Any]) -> tuple[str, str]:
    """A proposal's date as a person would type it in the event form."""
    return _typed(when.get("start", "")), _typed(when.get("end", ""))


def _span(data: dict[str, Any], decision: Decision) -> Any:
    """The proposal's date span, or the dates the reviewer typed (with the proposal's
    qualifier and recurrence: "about", "repeatedly" stay as the text said)."""
    when = data.get("when", {})
    qualifier, recurrence = when.get("qualifier", "none"), when.get("recurrence", "once")
    if decision.when_start is None and decision.when_end is None:
        return case_services.parse_span(when.get("start", ""), when.get("end", ""),
                                        qualifier, recurrence)
    start, end = (decision.when_start or "").strip(), (decision.when_end or "").strip()
    if not start:
        qualifier = "none"  # an unknown date has no qualifier
    return case_services.parse_span(start, end, qualifier, recurrence)


def _marked(narrative: Narrative, by: User, sentence: str) -> str:
    return _("From the narrative (exhibit %(number)s), confirmed by %(name)s: “%(sentence)s”") % {
        "number": narrative.exhibit.number, "name": str(by), "sentence": sentence}


def review(narrative: Narrative, by: User, decisions: Sequence[Decision],
           sees_restricted: bool = False) -> Reviewed:
    """Record a person's decisions in one transaction: accepted proposals become events
    (one ledger entry each), rejected ones are kept as rejected, and the narrative's record
    with every decision is on the ledger. A problem with any decision: ValidationError
    naming the proposal, and nothing is written."""
    if not decisions:
        raise ValidationError(_("Choose at least one proposal."))
    case = narrative.case
    with transaction.atomic():
        case_services.lock(case)
        rows = {p.pk: p for p in Proposal.objects.select_for_update().filter(
            narrative=narrative, pk__in=[d.proposal for d in decisions])}
        batch = case_services.CaseBatch(case, by)
        accepted: list[tuple[Proposal, Event]] = []
        rejected = 0
        now = timezone.now()
        seen: set[int] = set()
        parties = {p.pk: p for p in case.parties.all()}
        index = _sentence_index(narrative)
        # this narrative's accepted proposals, with their events (newest versions), which a
        # report or a refusal accepted now may be about
        earlier: list[tuple[dict[str, Any], Event]] = [
            (p.data, current(p.event)) for p in Proposal.objects.filter(
                narrative=narrative, status=Proposal.Status.ACCEPTED).select_related("event")
            if p.event is not None]
        # In the text's order, whatever order they were given in: events are numbered as
        # the text tells them, and a refusal finds the report it answers already accepted.
        for decision in sorted(decisions, key=lambda d: rows[d.proposal].index
                               if d.proposal in rows else 0):
            proposal = rows.get(decision.proposal)
            if proposal is None or decision.proposal in seen or not policy.kind_visible(
                    proposal.data.get("kind"), sees_restricted):
                raise ValidationError(_("A proposal was not found; reload the page."))
            seen.add(decision.proposal)
            if proposal.status != Proposal.Status.PENDING:
                raise ValidationError(_("Proposal %(index)s has already been decided; reload "
                                        "the page.") % {"index": proposal.index})
            proposal.decided_by, proposal.decided_at = by, now
            if not decision.accept:
                proposal.status = Proposal.Status.REJECTED
                rejected += 1
                continue
            data = {**proposal.data}
            kind = decision.kind or data["kind"]
            data["kind"] = kind
            if not policy.kind_visible(kind, sees_restricted):
                raise ValidationError(_("Choose a kind of event from the list."))
            try:
                event = batch.add_event(case_services.EventInput(
                    kind=kind, span=_span(data, decision), source=narrative.source,
                    reliability=narrative.reliability,
                    institution=(data.get("institution", "") if decision.institution is None
                                 else decision.institution),
                    narrative=_marked(narrative, by, data.get("sentence", "")),
                    parties=_chosen_parties(decision, parties, data),
                    links=_chosen_links(decision, case, data, index, earlier)))
            except ValidationError as exc:
                raise ValidationError(_("Proposal %(index)s: %(problem)s") % {
                    "index": proposal.index, "problem": " ".join(exc.messages)}) from exc
            proposal.status = Proposal.Status.ACCEPTED
            accepted.append((proposal, event))
            earlier.append((data, event))
        batch.write()
        for proposal, event in accepted:
            proposal.event = event
        Proposal.objects.bulk_update(list(rows.values()),
                                     ["status", "event", "decided_by", "decided_at"])
        case_services.append(case, by, "narrative.review", subject(narrative),
                             narrative_record(narrative),
                             {"accepted": [p.index for p, _e in accepted],
                              "rejected": rejected})
    return Reviewed([event for _p, event in accepted], rejected)


def _chosen_parties(decision: Decision, parties: dict[int, Party],
                    data: dict[str, Any]) -> list[tuple[Party, str]]:
    if decision.parties is None:
        return proposed_parties(list(parties.values()), data)
    chosen = []
    for pk, role in decision.parties:
        if pk not in parties:
            raise ValidationError({"parties": _("A party was not found in this case.")})
        chosen.append((parties[pk], role))
    return chosen


def _chosen_links(decision: Decision, case: Case, data: dict[str, Any],
                  index: dict[int, int], earlier: Sequence[tuple[dict[str, Any], Event]]
                  ) -> list[tuple[Event, str]]:
    if decision.links is None:
        return proposed_links(data, index, earlier)
    numbered = {e.number: e for e in Event.objects.filter(
        case=case, number__in=[n for n, _k in decision.links]).current()}
    chosen = []
    for number, kind in decision.links:
        if number not in numbered:
            raise ValidationError({"links": _("Event %(number)s was not found in this case "
                                              "(or has been corrected).") % {"number": number}})
        chosen.append((numbered[number], kind))
    return chosen


def reconsider(narrative: Narrative, by: User, proposal_id: int,
               sees_restricted: bool = False) -> Proposal:
    """Undo a rejection: the proposal is pending again, to be decided anew; the narrative's
    record on the ledger says so. An accepted proposal is an event on the timeline: it is
    not undone here but by correcting that event (cases.services.correct_event, its own
    ledger entry), so this refuses it with a message naming the event."""
    with transaction.atomic():
        case_services.lock(narrative.case)
        proposal = Proposal.objects.select_for_update().filter(
            narrative=narrative, pk=proposal_id).first()
        if proposal is None or not policy.kind_visible(proposal.data.get("kind"),
                                                       sees_restricted):
            raise ValidationError(_("A proposal was not found; reload the page."))
        if proposal.status == Proposal.Status.ACCEPTED:
            assert proposal.event is not None
            raise ValidationError(_(
                "Proposal %(index)s is event %(number)s on the timeline. To change or undo "
                "it, correct that event (with the reason); the correction is kept on the "
                "case's record.") % {"index": proposal.index,
                                     "number": current(proposal.event).number})
        if proposal.status != Proposal.Status.REJECTED:
            raise ValidationError(_("Proposal %(index)s has not been decided yet.") % {
                "index": proposal.index})
        was = proposal.decided_by_id
        proposal.status = Proposal.Status.PENDING
        proposal.decided_by, proposal.decided_at = None, None
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        case_services.append(narrative.case, by, "narrative.review", subject(narrative),
                             narrative_record(narrative),
                             {"reconsidered": [proposal.index], "rejected_by": was})
    return proposal


@dataclass
class Shown:
    """A proposal as the review screen shows it: beside its sentence, in context."""

    proposal: Proposal
    data: dict[str, Any]
    before: str
    sentence: str
    after: str
    when_start: str
    when_end: str
    parties: list[tuple[str, str]] = field(default_factory=list)  # (name, role), proposed


def shown(narrative: Narrative, proposals: Sequence[Proposal]) -> list[Shown]:
    text = narrative.text
    out = []
    parties = list(narrative.case.parties.all())
    for p in proposals:
        data = p.data
        start, end = int(data.get("start", 0)), int(data.get("end", 0))
        before = text[max(0, start - CONTEXT):start]
        after = text[end:end + CONTEXT]
        before = ("…" if start > CONTEXT else "") + before
        after = after + ("…" if end + CONTEXT < len(text) else "")
        when_start, when_end = _when_typed(data.get("when", {}))
        named = ([(party.full_name or party.get_role_display(),
                   str(EventParty.Role(role).label))
                  for party, role in proposed_parties(parties, data)]
                 if p.status == Proposal.Status.PENDING else [])
        out.append(Shown(p, data, before, text[start:end], after, when_start, when_end, named))
    return out
