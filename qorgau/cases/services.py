"""Every mutation of a case, each in one transaction with its ledger entry.

Views, commands, the importer and the demo loader call these functions; nothing else writes
case data. Invalid input raises ValidationError with plain, translated messages, and nothing
is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qorgau.accounts.models import CASE_ROLES, Membership, Organisation, User
from qorgau.cases import ledger, order_types, records, regions, signals, taxonomy
from qorgau.cases.dates import DateError, DateSpan, typed_span, words_span
from qorgau.cases.models import (
    Case,
    CaseAssignment,
    Event,
    EventLink,
    EventParty,
    LedgerEntry,
    Party,
)
from qorgau.cases.regions import PROFILES
from qorgau.fields import keyring

# Entries that record a use of the case rather than a change to one of its records.
READ_ACTIONS = frozenset({"case.view", "case.export", "case.import", "letter.export",
                          "duties.recompute", "exhibit.view", "exhibit.download",
                          "exhibit.derivative", "exhibit.export", "exhibit.verify",
                          "bundle.download",
                          "share.view", "referral.letter"})
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
# The last entry of an erased case: every subject written before it counts as removed.
ERASE_ACTION = "case.erase"


def _lock(case: Case) -> None:
    """Serialise writers of one case (SQLite's IMMEDIATE transactions already do)."""
    if connection.vendor == "postgresql":
        list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk"))


def _locked_status(case: Case) -> str | None:
    """The case's stored status, read under the writers' lock (one query)."""
    rows = Case.objects.filter(pk=case.pk)
    if connection.vendor == "postgresql":
        rows = rows.select_for_update()
    return rows.values_list("status", flat=True).first()


def append(
    case: Case,
    actor: User | None,
    action: str,
    subject: str,
    record: Any = None,
    detail: Mapping[str, Any] | None = None,
) -> LedgerEntry:
    """Append a ledger entry for another app's write (inside its transaction)."""
    return _append(case, actor, action, subject, record, detail)


def lock(case: Case) -> None:
    """Serialise writers of one case (for other apps' numbered records)."""
    _lock(case)


def _append(
    case: Case,
    actor: User | None,
    action: str,
    subject: str,
    record: Any = None,
    detail: Mapping[str, Any] | None = None,
) -> LedgerEntry:
    """Append one entry to the case's chain. Call inside the writing transaction."""
    _check_writable(case, action)
    entry = _chained(case, _head(case), actor, action, subject, record, detail)
    entry.save(force_insert=True)
    return entry


def _check_writable(case: Case, action: str) -> None:
    """Under the writers' lock: nothing but the erasure is recorded on an erased case."""
    assert transaction.get_connection().in_atomic_block, "ledger writes need a transaction"
    if _locked_status(case) == Case.Status.ERASED and action != ERASE_ACTION:
        raise ValidationError(_("This case has been erased; nothing more can be recorded."))


def _head(case: Case) -> tuple[int, str]:
    """(seq, hash) of the case's newest entry; (0, genesis) before the first."""
    last = (
        LedgerEntry.objects.filter(case=case).order_by("-seq").values_list("seq", "hash").first()
    )
    return (last[0], last[1]) if last else (0, ledger.GENESIS)


def _chained(case: Case, after: tuple[int, str], actor: User | None, action: str,
             subject: str, record: Any = None,
             detail: Mapping[str, Any] | None = None) -> LedgerEntry:
    """The entry (not saved) that follows the entry `after` = (seq, hash) on the chain."""
    detail = dict(detail or {})
    entry = LedgerEntry(
        case=case, seq=after[0] + 1, at=timezone.now(), actor=actor, action=action,
        subject=subject, detail=detail, payload_digest=ledger.payload_digest(detail, record),
        prev_hash=after[1],
    )
    entry.hash = ledger_entry(entry).computed_hash()
    return entry


def ledger_entry(entry: LedgerEntry) -> ledger.Entry:
    """The pure form of a stored entry, as hashed."""
    return ledger_entry_row([getattr(entry, name) for name in LEDGER_COLUMNS])


# A stored entry's columns as `ledger_entry_row` takes them (`values_list`).
LEDGER_COLUMNS = ("case_id", "seq", "at", "actor_id", "action", "subject", "payload_digest",
                  "prev_hash", "hash")


def ledger_entry_row(row: Sequence[Any]) -> ledger.Entry:
    case_id, seq, at, actor_id, action, subject, payload_digest, prev_hash, hash_ = row
    return ledger.Entry(
        case=str(case_id),
        seq=seq,
        at=at.astimezone(UTC).isoformat(),
        actor=str(actor_id) if actor_id else "system",
        action=action,
        subject=subject,
        payload_digest=payload_digest,
        prev_hash=prev_hash,
        hash=hash_,
    )


def _clean(obj: Any, exclude: Sequence[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


# --- cases and assignments ---------------------------------------------------------------


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def can_open_cases(user: User, organisation: Organisation) -> bool:
    return Membership.objects.filter(
        user=user, organisation=organisation, role__in=CASE_ROLES
    ).exists()


def check_region(region: str, profile: str) -> str:
    """The region as stored (its ISO code), if a case under `profile` may be there: a
    country's profile takes that country's regions, the international one any region."""
    if not isinstance(region, str) or not regions.is_region(region):
        raise ValidationError({"region": _("Choose a region from the list.")})
    if not regions.fits(region, profile):
        language = translation.get_language() or "en"
        raise ValidationError({"region": _(
            "%(region)s (%(country)s) is outside the law of the profile “%(profile)s”. "
            "Choose a region that profile covers, or another profile.") % {
            "region": regions.label(region, language),
            "country": regions.country_label(regions.country_of(region), language),
            "profile": _(PROFILES[profile])}})
    return regions.canonical(region)


@transaction.atomic
def create_case(
    organisation: Organisation,
    by: User,
    *,
    region: str,
    profile: str = "kz",
    reference: str | None = None,
    mode: str = Case.Mode.CASEWORK,
) -> Case:
    if not can_open_cases(by, organisation):
        raise ValidationError(_("You cannot open cases in this organisation."))
    if profile not in PROFILES:
        raise ValidationError({"profile": _("Choose a jurisdiction profile from the list.")})
    if mode not in Case.Mode.values:
        raise ValidationError({"mode": _("Choose casework or monitoring.")})
    region = check_region(region, profile)
    if reference and Case.objects.filter(reference=reference).exists():
        raise ValidationError({"reference": _("A case with this reference already exists.")})
    case = Case(
        organisation=organisation, reference=reference or new_reference(),
        region=region, profile=profile, created_by=by, mode=mode,
    )
    _clean(case, exclude=["reference"])
    case.save()
    _append(case, by, "case.create", records.subject(case), records.case_record(case))
    _assign(case, by, by, CaseAssignment.Access.WRITE)
    return case


# Why a case is closed, asked before closing it from the case page. The ledger entry keeps
# the key, never free text (as the erasure keeps its reason code): no personal data.
CLOSE_REASONS: dict[str, str] = {
    "work_done": gettext_noop("The work is done: she is safer and needs nothing more from us "
                              "for now"),
    "her_wish": gettext_noop("She asked us to stop"),
    "no_contact": gettext_noop("We have lost contact with her"),
    "moved_on": gettext_noop("She moved away, or another organisation has taken over"),
    "other": gettext_noop("Another reason"),
}


@transaction.atomic
def set_status(case: Case, by: User | None, status: str, reason: str = "") -> Case:
    """Open or close a case; receivers of `status_changed` (the retention clock) follow.

    `reason` (a key of CLOSE_REASONS) goes into the ledger entry's detail when closing."""
    if status not in (Case.Status.OPEN, Case.Status.CLOSED):
        raise ValidationError({"status": _("Unknown status.")})
    if reason and (status != Case.Status.CLOSED or reason not in CLOSE_REASONS):
        raise ValidationError({"reason": _("Choose why the case is closed.")})
    _lock(case)
    case.refresh_from_db(fields=["status"])
    if case.status == Case.Status.ERASED:
        raise ValidationError(_("This case has been erased; nothing more can be recorded."))
    if case.status == status:
        return case
    case.status = status
    case.save(update_fields=["status"])
    _append(case, by, "case.status", records.subject(case), records.case_record(case),
            {"reason": reason} if reason else None)
    signals.status_changed.send(sender=Case, case=case, by=by)
    return case


def _assign(case: Case, user: User, by: User, access: str) -> CaseAssignment:
    if not Membership.objects.filter(
        user=user, organisation_id=case.organisation_id, role__in=CASE_ROLES
    ).exists():
        raise ValidationError(
            _("Only case workers of the case's organisation can be assigned to it.")
        )
    assignment, _created = CaseAssignment.objects.update_or_create(
        case=case, user=user, defaults={"access": access}
    )
    _append(case, by, "assignment.set", records.subject(assignment),
            records.assignment_record(assignment))
    return assignment


@transaction.atomic
def move_case(case: Case, to: Organisation, by: User, assignee: User,
              detail: Mapping[str, Any]) -> Case:
    """The whole case to another organisation (a transfer the survivor consented to): its
    timeline and ledger continue; everyone of the old organisation loses it at once, and
    `assignee` of the new one holds it. Call from the transfer's service, under its lock."""
    _lock(case)
    case.refresh_from_db(fields=["status", "organisation"])
    if case.status == Case.Status.ERASED:
        raise ValidationError(_("This case has been erased; nothing more can be recorded."))
    for assignment in list(CaseAssignment.objects.filter(case=case)):
        subject = records.subject(assignment)
        assignment.delete()
        _append(case, by, "assignment.remove", subject)
    case.organisation = to
    case.save(update_fields=["organisation"])
    _append(case, by, "case.move", records.subject(case), records.case_record(case), detail)
    _assign(case, assignee, by, CaseAssignment.Access.WRITE)
    return case


@transaction.atomic
def assign(case: Case, user: User, by: User, access: str = "write") -> CaseAssignment:
    if access not in CaseAssignment.Access.values:
        raise ValidationError({"access": _("Unknown access level.")})
    return _assign(case, user, by, access)


@transaction.atomic
def unassign(case: Case, user: User, by: User) -> None:
    assignment = CaseAssignment.objects.filter(case=case, user=user).first()
    if assignment is None:
        return
    subject = records.subject(assignment)
    assignment.delete()
    _append(case, by, "assignment.remove", subject)


# Who may change a case's people: its supervisors and administrators, and a caseworker who
# can record on it (her own case). Lawyers and read-only members may not.
PEOPLE_MANAGERS = frozenset({"caseworker", "supervisor", "admin"})


def can_manage_people(case: Case, user: User) -> bool:
    role = Membership.objects.filter(user=user, organisation_id=case.organisation_id,
                                     role__in=CASE_ROLES).values_list("role", flat=True).first()
    if role in ("supervisor", "admin"):
        return True
    return role in PEOPLE_MANAGERS and CaseAssignment.objects.filter(
        case=case, user=user, access=CaseAssignment.Access.WRITE).exists()


def _check_manager(case: Case, by: User) -> None:
    if not can_manage_people(case, by):
        raise PermissionDenied(_("Only the case's caseworker, a supervisor or an administrator "
                                 "can change who works on it."))


def _writers_left(case: Case, without: User) -> bool:
    return CaseAssignment.objects.filter(case=case, access=CaseAssignment.Access.WRITE).exclude(
        user=without).exists()


@transaction.atomic
def add_person(case: Case, by: User, user: User, access: str = "write") -> CaseAssignment:
    """Add a colleague of the case's organisation to the case (or change her access)."""
    _check_manager(case, by)
    _lock(case)
    if access not in CaseAssignment.Access.values:
        raise ValidationError({"access": _("Choose write or read-only access.")})
    if access == CaseAssignment.Access.READ and not _writers_left(case, user):
        raise ValidationError({"access": _("Someone must still be able to record on the "
                                           "case.")})
    return _assign(case, user, by, access)


@transaction.atomic
def remove_person(case: Case, by: User, user: User) -> None:
    _check_manager(case, by)
    _lock(case)
    if not CaseAssignment.objects.filter(case=case, user=user).exists():
        return  # already off the case: nothing to do
    if not _writers_left(case, user):
        raise ValidationError(_("Someone must still be able to record on the case: add "
                                "another person first, or hand the case over."))
    unassign(case, user, by)


@transaction.atomic
def hand_over(case: Case, by: User, from_user: User, to_user: User) -> CaseAssignment:
    """From one person to another: the receiver can record, the giver leaves the case; one
    transaction, two ledger entries."""
    _check_manager(case, by)
    _lock(case)
    if from_user.pk == to_user.pk:
        raise ValidationError({"to": _("Hand the case to someone else.")})
    if not CaseAssignment.objects.filter(case=case, user=from_user).exists():
        raise ValidationError({"from": _("This person does not work on the case.")})
    received = _assign(case, to_user, by, CaseAssignment.Access.WRITE)
    unassign(case, from_user, by)
    return received


class LightEvent(NamedTuple):
    """An event as the case page counts and labels it: no encrypted column."""

    number: int
    kind: str
    when_start: str
    when_end: str
    qualifier: str
    recurrence: str
    supersedes_id: int | None


def light_events(case: Case) -> dict[int, LightEvent]:
    """Every event of the case by id, light: one read by the case's index a request (kept
    on the case object), for the duties' triggers and the timeline's count. Unfiltered:
    the reader's view is applied by whoever shows them (qorgau.cases.policy)."""
    found: dict[int, LightEvent] | None = getattr(case, "_light_events", None)
    if found is None:
        found = {pk: LightEvent(*rest) for pk, *rest in Event.objects.filter(case=case)
                 .values_list("pk", *LightEvent._fields)}
        case._light_events = found  # type: ignore[attr-defined]
    return found


@transaction.atomic
def record_view(case: Case, by: User, page: str) -> None:
    """A read of a case page, on the ledger (who, when, what)."""
    _append(case, by, "case.view", records.subject(case), detail={"page": page})


@transaction.atomic
def record_export(case: Case, by: User, document_digest: str, grant: int) -> None:
    """An export of the case file; `document_digest`: SHA-256 of its RFC 8785 form;
    `grant`: the consent grant that allows it."""
    _append(case, by, "case.export", records.subject(case),
            detail={"sha256": document_digest, "grant": grant})


@transaction.atomic
def record_import(case: Case, by: User, document_digest: str) -> None:
    """Where an imported case came from: the digest of the file it was built from."""
    _append(case, by, "case.import", records.subject(case),
            detail={"sha256": document_digest})


# --- parties -------------------------------------------------------------------------------

PARTY_INPUT = (
    "role", "relationship", "co_resident", "institution", "full_name", "other_names",
    "birth_date", "address", "phone", "documents", "notes",
)


# Bidirectional control characters (embeddings, overrides, isolates, LRM/RLM) can make a
# name or narrative display as something else ("display spoofing"); Kazakh, Russian and
# English text does not need them, so they are removed from text as it is recorded.
BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F])


def without_bidi(text: str) -> str:
    """`text` without bidirectional control characters (U+202A-E, U+2066-9, U+200E/F)."""
    return text.translate(BIDI_CONTROLS)


def _party_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PARTY_INPUT)
    if unknown:
        raise ValidationError(_("Unknown party fields: %(fields)s") % {
            "fields": ", ".join(sorted(unknown))})
    clean = dict(values)
    for name in ("relationship", "institution", "other_names", "birth_date", "address",
                 "phone", "documents", "notes"):
        clean[name] = without_bidi(clean.get(name) or "").strip() if name in clean else ""
    clean["full_name"] = " ".join(without_bidi(values.get("full_name") or "").split())
    if not clean["full_name"]:
        raise ValidationError({"full_name": _("Enter the person's name (or a placeholder).")})
    return clean


@transaction.atomic
def add_party(case: Case, by: User, **values: Any) -> Party:
    batch = CaseBatch(case, by)
    party = batch.add_party(**values)
    batch.write()
    return party


@transaction.atomic
def update_party(party: Party, by: User, **values: Any) -> Party:
    current = {name: getattr(party, name) for name in PARTY_INPUT}
    current.update(values)
    clean = _party_values(current)
    for name, value in clean.items():
        setattr(party, name, value)
    party.name_index = keyring().blind_index(party.full_name)
    _clean(party, exclude=["name_index", "salt"])
    party.save()
    _append(party.case, by, "party.update", records.subject(party),
            records.party_record(party))
    return party


# --- events --------------------------------------------------------------------------------


# "Reported to …" on an incident or a breach: to whom -> (the report's kind, institution).
REPORT_TO: dict[str, tuple[str, str]] = {
    "police": ("police_report", "police"),
    "prosecutor": ("report_prosecutor", "prosecutor"),
    "court": ("court_application", "court"),
}
REPORT_TO_LABELS: dict[str, str] = {
    "police": gettext_noop("The police"),
    "prosecutor": gettext_noop("The prosecutor"),
    "court": gettext_noop("A court"),
}
REPORTED_BY: dict[str, str] = {
    "survivor": gettext_noop("The survivor"),
    "third_party": gettext_noop("Someone else on her behalf"),
    "organisation": gettext_noop("Our organisation"),
}
# What the report event's narrative says about who made it.
_REPORTED_BY_NARRATIVE: dict[str, str] = {
    "survivor": gettext_noop("Reported by the survivor."),
    "third_party": gettext_noop("Reported by someone else on the survivor's behalf."),
    "organisation": gettext_noop("Reported by our organisation."),
}
# The kinds that may carry a report: every incident of abuse, and a breach of an order.
REPORTABLE: frozenset[str] = frozenset(
    {k.id for k in taxonomy.KINDS if k.group == "abuse"} | {"order_breached"})


@dataclass
class ReportInput:
    """"Reported to the police / prosecutor / court (when, how, by whom)" on an incident or a
    breach: written as a report event of its own that `reports` the incident, in the same
    transaction, with its own ledger entry."""

    to: str  # a key of REPORT_TO
    span: DateSpan | None = None  # None: the incident's own date
    mode: str = ""  # a key of taxonomy.REPORT_MODES, or "" if not known
    by: str = "survivor"  # a key of REPORTED_BY
    referral_requested: bool = False  # she asked to be referred for help (to the police)


@dataclass
class EventInput:
    """What a caller supplies for a new event (or a correction)."""

    kind: str
    span: DateSpan
    source: str
    reliability: str
    narrative: str = ""
    place: str = ""
    institution: str = ""
    institution_unit: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    parties: list[tuple[Party, str]] = field(default_factory=list)
    links: list[tuple[Event, str]] = field(default_factory=list)
    report: ReportInput | None = None


def parse_span(start: str = "", end: str = "", qualifier: str = "none",
               recurrence: str = "once") -> DateSpan:
    """DateSpan from user input; a bad date becomes a translated ValidationError. Dates may
    be typed as people write them (12.03.2024, 03.2024, 2015–2024, "c." before them) or said
    in words ("late 2023-09", "summer 2021", in en/ru/kk): an honest range."""
    try:
        said = words_span(start) if start else None
        if said is not None:
            if end.strip():
                raise DateError(gettext_noop("a date in words is already a range; leave the "
                                             "end empty"))
            start, end = said
        else:  # typed as people type: 12.03.2024, 03.2024, "c. 2015–2024"
            start, ranged, approximate = typed_span(start)
            if ranged and end.strip():
                raise DateError(gettext_noop("the date is already a range; leave the end "
                                             "empty"))
            end = ranged or typed_span(end)[0]
            if approximate and qualifier == "none":
                qualifier = "approximate"
        return DateSpan.parse(start, end, qualifier, recurrence)
    except DateError as exc:
        raise ValidationError({"when_start": _(exc.message) % exc.params}) from exc


# A party's roles in an event (Role.values builds its list anew at every call).
_EVENT_PARTY_ROLES = frozenset(EventParty.Role.values)


def _validate_event(case: Case, data: EventInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in taxonomy.BY_ID:
        errors.setdefault("kind", []).append(_("Choose a kind of event from the list."))
    if data.source not in taxonomy.SOURCES:
        errors.setdefault("source", []).append(_("Choose a source from the list."))
    if data.reliability not in taxonomy.RELIABILITY:
        errors.setdefault("reliability", []).append(_("Choose a reliability from the list."))
    if data.institution and data.institution not in taxonomy.INSTITUTIONS:
        errors.setdefault("institution", []).append(_("Choose an institution from the list."))
    if data.kind in taxonomy.BY_ID:
        for name, problem in taxonomy.attribute_problems(data.kind, data.attributes):
            errors.setdefault("attributes", []).append(_(problem) % {"name": name})
    elif not isinstance(data.attributes, dict):
        errors.setdefault("attributes", []).append(_("Attributes must be a JSON object."))
    seen: set[int] = set()
    for party, role in data.parties:
        if party.case_id != case.pk:
            errors.setdefault("parties", []).append(_("A party belongs to another case."))
        if role not in _EVENT_PARTY_ROLES:
            errors.setdefault("parties", []).append(_("Unknown role of a party in the event."))
        key = party.pk if party.pk is not None else -id(party)  # one not written yet
        if key in seen:
            errors.setdefault("parties", []).append(_("A party is named twice."))
        seen.add(key)
    linked: set[tuple[int, str]] = set()
    for target, kind in data.links:
        if target.case_id != case.pk:
            errors.setdefault("links", []).append(_("A linked event belongs to another case."))
        if kind not in taxonomy.LINK_KINDS:
            errors.setdefault("links", []).append(_("Unknown kind of link."))
        # Events of the same batch are not written yet: told apart by identity.
        key = target.pk if target.pk is not None else -id(target)
        if (key, kind) in linked:
            errors.setdefault("links", []).append(
                _("The same link is given twice (event %(number)s, %(kind)s); give it once.")
                % {"number": target.number, "kind": kind})
        linked.add((key, kind))
    if data.report is not None:
        for message in _report_problems(data):
            errors.setdefault("report", []).append(message)
    if errors:
        raise ValidationError(errors)


def _report_problems(data: EventInput) -> list[str]:
    report = data.report
    assert report is not None
    if data.kind in taxonomy.BY_ID and data.kind not in REPORTABLE:
        return [_("Only an incident of abuse or a breach of a protection order can carry "
                  "“reported to”; record a report about this event as an event of its own, "
                  "linked to it.")]
    problems = []
    if report.to not in REPORT_TO:
        problems.append(_("Choose to whom it was reported: the police, the prosecutor or a "
                          "court."))
    if report.mode and report.mode not in taxonomy.REPORT_MODES:
        problems.append(_("Choose how it was reported from the list."))
    if report.by not in REPORTED_BY:
        problems.append(_("Choose who reported it: the survivor, someone else on her behalf "
                          "or our organisation."))
    if report.span is not None:
        earliest, latest = data.span.earliest(), report.span.latest()
        if earliest and latest and latest < earliest:
            problems.append(_("The report cannot be earlier than what it reports."))
    return problems


def _report_input(data: EventInput, incident: Event) -> EventInput:
    """The report event that `data.report` describes, linked to `incident`."""
    report = data.report
    assert report is not None
    kind, institution = REPORT_TO[report.to]
    mode = report.mode or ("third_party" if report.by == "third_party" else "")
    return EventInput(
        kind=kind, span=report.span if report.span is not None else data.span,
        source="staff" if report.by == "organisation" else data.source,
        reliability=data.reliability, institution=institution,
        narrative=_(_REPORTED_BY_NARRATIVE[report.by]),
        attributes={**({"mode": mode} if mode else {}),
                    **({"referral_requested": True}
                       if report.referral_requested and kind == "police_report" else {})},
        links=[(incident, "reports")],
    )


# Where the services find a case's order types (its profile's list): registered by the app
# that reads the profiles, which cases does not depend on.
OrderTypes = Callable[[Case], Sequence[Mapping[str, Any]]]
_order_type_sources: list[OrderTypes] = []


def register_order_types(source: OrderTypes) -> None:
    if source not in _order_type_sources:
        _order_type_sources.append(source)


def order_types_for(case: Case) -> list[Mapping[str, Any]]:
    """The order types of the case's profile (id, title in en/ru/kk, …)."""
    return [order for source in _order_type_sources for order in source(case)]


def _with_order_type(case: Case, data: EventInput) -> EventInput:
    """`data` with a typed order type stored as the id of the profile's order type it names
    ("защитное предписание" -> kz.protective_order); other text is kept as typed."""
    typed = data.attributes.get("order_type") if isinstance(data.attributes, dict) else None
    if not isinstance(typed, str):
        return data
    stored = order_types.canonical(typed, order_types_for(case))
    if stored == typed:
        return data
    return replace(data, attributes={**data.attributes, "order_type": stored})


class CaseBatch:
    """New parties and events of one case, checked one by one and written at once.

    `add_party` and `add_event` check their input as `add_party` and `record_event` always
    have (the same ValidationError, nothing written) and return the unsaved record, which
    later events may name (parties, links, the event they correct). `write` inserts all the
    rows in a few statements, appends their ledger entries after the case's head in the
    order they were added, and sends `events_changed` once, so derived data is brought up
    to date once. Use inside the writing transaction: from the first event on, other
    writers of the case wait. `add_party` and `record_event` are batches of one; the
    importer writes a whole case file as one batch.
    """

    def __init__(self, case: Case, by: User, *, new: bool = False) -> None:
        self.case = case
        self.by = by
        self._added: list[Party | Event] = []  # in ledger order
        self._links: dict[int, tuple[list[tuple[Party, str]], list[tuple[Event, str]]]] = {}
        self._corrected: set[int] = set()  # id() of events this batch corrects
        # The next event number, once the case is locked; a case not written yet (`new`,
        # the bulk importer's) has no events and no other writer: its first is 1.
        self._number = 1 if new else 0

    # (field, value) pairs of fields with choices found valid: the same value, the same
    # answer (a value is looked for in a list of a hundred kinds).
    _valid_choices: set[tuple[Any, Any]] = set()

    @classmethod
    def _clean(cls, obj: Party | Event, exclude: Sequence[str]) -> None:
        """As `_clean` (Model.full_clean without the unique and constraint checks: Django's
        clean_fields, then clean), a value of a field with choices that passed before not
        looked for again."""
        errors: dict[str, Any] = {}
        for f in obj._meta.fields:
            if f.name in exclude or f.generated:
                continue
            raw = getattr(obj, f.attname)
            if f.blank and raw in f.empty_values:
                continue
            key = (f, raw) if f.choices and type(raw) is str else None
            if key is not None and key in cls._valid_choices:
                continue
            try:
                cleaned = f.clean(raw, obj)
            except ValidationError as exc:
                errors[f.name] = exc.error_list
                continue
            setattr(obj, f.attname, cleaned)
            if key is not None and cleaned == raw and type(cleaned) is str:
                cls._valid_choices.add(key)
        try:
            obj.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def added(self) -> list[tuple[Party | Event, list[tuple[Party, str]],
                                  list[tuple[Event, str]]]]:
        """What was added, in ledger order: (party or event, its parties, its links)."""
        return [(obj, *self._links.get(id(obj), ([], []))) for obj in self._added]

    def add_party(self, **values: Any) -> Party:
        party = Party(case=self.case, salt=secrets.token_hex(16), **_party_values(values))
        party.name_index = keyring().blind_index(party.full_name)
        self._clean(party, ("name_index", "salt", "case"))  # the batch's case exists
        self._added.append(party)
        return party

    def add_event(self, data: EventInput, *, supersedes: Event | None = None,
                  correction_reason: str = "") -> Event:
        case = self.case
        data = _with_order_type(case, data)
        _validate_event(case, data)
        if not self._number:
            _lock(case)
            self._number = (
                Event.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
        if supersedes is not None:
            if supersedes.case_id != case.pk:
                raise ValidationError(_("The corrected event belongs to another case."))
            if id(supersedes) in self._corrected or (
                    supersedes.pk is not None
                    and Event.objects.filter(supersedes=supersedes).exists()):
                raise ValidationError(_("This event has already been corrected; correct the "
                                        "newest version instead."))
            if not correction_reason.strip():
                raise ValidationError({"correction_reason": _("Say why the event is corrected.")})
            self._corrected.add(id(supersedes))
        span = data.span
        earliest, latest = span.earliest(), span.latest()
        event = Event(
            case=case, number=self._number, kind=data.kind,
            when_start=span.start.iso() if span.start else "",
            when_end=span.end.iso() if span.end else "",
            qualifier=span.qualifier, recurrence=span.recurrence,
            sort_start=span.sort_key()[0] if span.known else None,
            sort_end=latest if latest else (earliest if earliest else None),
            source=data.source, reliability=data.reliability,
            institution=data.institution,
            institution_unit=without_bidi(data.institution_unit).strip(),
            attributes=data.attributes, place=without_bidi(data.place).strip(),
            narrative=without_bidi(data.narrative).strip(), supersedes=supersedes,
            correction_reason=without_bidi(correction_reason).strip(),
            salt=secrets.token_hex(16),
            recorded_by=self.by,
        )
        # Not the case either: it exists (locked above), and checking it is a query.
        self._clean(event, ("salt", "supersedes", "recorded_by", "sort_start", "sort_end",
                            "case"))
        self._number += 1
        self._added.append(event)
        self._links[id(event)] = (list(data.parties), list(data.links))
        if data.report is not None:  # the report fact the rules need, in the same write
            self.add_event(_report_input(data, event))
        return event

    @transaction.atomic
    def write(self) -> None:
        if not self._added:
            return
        case = self.case
        _check_writable(case, "")
        Party.objects.bulk_create([obj for obj in self._added if isinstance(obj, Party)])
        events = [obj for obj in self._added if isinstance(obj, Event)]
        pending: list[Event] = []
        for event in events:
            if event.supersedes is not None and event.supersedes.pk is None:
                Event.objects.bulk_create(pending)  # the corrected event needs its id first
                pending = []
            pending.append(event)
        Event.objects.bulk_create(pending)
        case.__dict__.pop("_light_events", None)  # read again at the next light_events
        EventParty.objects.bulk_create([
            EventParty(event=event, party=party, role=role)
            for event in events for party, role in self._links[id(event)][0]])
        EventLink.objects.bulk_create([
            EventLink(source=event, target=target, kind=kind)
            for event in events for target, kind in self._links[id(event)][1]])
        head = _head(case)
        entries = []
        for obj in self._added:
            if isinstance(obj, Party):
                action, record = "party.create", records.party_record(obj)
            else:
                parties, links = self._links[id(obj)]
                record = records.event_record(
                    obj, [(party.pk, role) for party, role in parties],
                    [(target.number, kind) for target, kind in links],
                    obj.supersedes.number if obj.supersedes else None)
                action = "event.correct" if obj.supersedes else "event.create"
            entry = _chained(case, head, self.by, action, records.subject(obj), record)
            head = (entry.seq, entry.hash)
            entries.append(entry)
        LedgerEntry.objects.bulk_create(entries)
        if events:
            # The kinds added, which let derived data be brought up to date for them alone;
            # None when an event was corrected (what it said is gone).
            kinds = (None if any(event.supersedes for event in events)
                     else frozenset(event.kind for event in events))
            signals.events_changed.send(sender=Case, case=case, by=self.by, kinds=kinds,
                                        events=[event.pk for event in events])


@transaction.atomic
def record_event(
    case: Case,
    by: User,
    data: EventInput,
    *,
    supersedes: Event | None = None,
    correction_reason: str = "",
) -> Event:
    batch = CaseBatch(case, by)
    event = batch.add_event(data, supersedes=supersedes, correction_reason=correction_reason)
    batch.write()
    return event


def correct_event(original: Event, by: User, data: EventInput, reason: str) -> Event:
    """A correction is a new event that supersedes the original; nothing is edited."""
    return record_event(original.case, by, data, supersedes=original, correction_reason=reason)


def event_input_from(event: Event) -> EventInput:
    """The input that would record `event` again (the starting point of a correction)."""
    return EventInput(
        kind=event.kind, span=event.span, source=event.source,
        reliability=event.reliability, narrative=event.narrative, place=event.place,
        institution=event.institution, institution_unit=event.institution_unit,
        attributes=dict(event.attributes),
        parties=[(ep.party, ep.role) for ep in event.event_parties.select_related("party")],
        links=[(link.target, link.kind) for link in event.links_out.select_related("target")],
    )


def search_cases_by_name(queryset: QuerySet[Case], name: str) -> QuerySet[Case]:
    """Cases with a party whose full name matches exactly (case- and space-insensitive)."""
    return queryset.filter(parties__name_index__in=keyring().blind_indexes(name)).distinct()


def find_cases(user: Any, *, q: str = "", status: str = "", region: str = "",
               country: str = "") -> QuerySet[Case]:
    """The cases a user is assigned to, filtered as the case list and the API's case search
    ask: a status, a region (any of its codes), a country, and `q` — a reference or a
    party's exact full name. The name arrives in a POST body, never in a URL (browser
    history and access logs keep URLs)."""
    cases = Case.objects.visible_to(user)
    if status:
        cases = cases.filter(status=status)
    if region:
        cases = cases.filter(region__in=regions.aliases(region))
    if country:
        cases = cases.filter(region__in=[alias for code, _name in regions.regions_of(country)
                                         for alias in regions.aliases(code)])
    q = " ".join(q.split())
    if q:
        by_name = search_cases_by_name(Case.objects.visible_to(user), q)
        cases = cases.filter(Q(reference__iexact=q) | Q(pk__in=by_name.values("pk")))
    return cases
