"""An organisation's own hash-chained ledger: who may see its cases and how it is set up.

Every change of a membership (added, role changed, account switched off, removed) and of a
setting (discreet mode, shared aggregates, retention, ...) appends an entry in the writing
transaction, on the same chain as a case's ledger (qorgau.chain). `verify` re-derives the
chain and compares the organisation's current rows with the ledger's latest word on each:
a membership inserted, changed or deleted behind the services' back is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from qorgau import chain
from qorgau.accounts.models import Membership, Organisation, OrganisationEntry, User

OPEN = "organisation.open"
SETTING = "setting.set"
SETTING_REMOVED = "setting.remove"
MEMBERSHIP = "membership.set"
MEMBERSHIP_REMOVED = "membership.remove"
REMOVALS = {SETTING_REMOVED, MEMBERSHIP_REMOVED}
# "note.<...>": what happened that concerns the organisation but lives elsewhere (a case
# transferred in or out: the case's own ledger holds the record); chained, vouching for no row.
NOTE_PREFIX = "note."

ORGANISATION_SUBJECT = "organisation"
ORGANISATION_FIELDS = ("id", "name", "slug", "region", "discreet", "shares_aggregates")
MEMBERSHIP_COLUMNS = ("organisation_id", "user_id", "role", "user__is_active")
COLUMNS = ("organisation_id", "seq", "at", "actor_id", "action", "subject", "payload_digest",
           "prev_hash", "hash")

# Settings other apps keep about an organisation (e.g. retention): organisation ids ->
# {organisation id: {subject: record}}, each subject "setting:<name>".
SettingsProvider = Callable[[Sequence[int]], Mapping[int, Mapping[str, Any]]]
PROVIDERS: list[SettingsProvider] = []


def register(provider: SettingsProvider) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)


def chain_name(organisation_id: int) -> str:
    return f"organisation:{organisation_id}"


def organisation_record(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in ORGANISATION_FIELDS}


def membership_subject(user_id: int) -> str:
    return f"membership:{user_id}"


def membership_record(user_id: int, role: str, active: bool) -> dict[str, Any]:
    return {"user": user_id, "role": role, "active": active}


def setting_subject(name: str) -> str:
    return f"setting:{name}"


# --- writing ------------------------------------------------------------------------------


def append(organisation: Organisation | int, actor: User | None, action: str, subject: str,
           record: Any = None, detail: Mapping[str, Any] | None = None) -> OrganisationEntry:
    """Append one entry to the organisation's chain; call inside the writing transaction.
    The organisation's row is locked so that two writers cannot take the same place."""
    assert transaction.get_connection().in_atomic_block, "ledger writes need a transaction"
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    Organisation.objects.select_for_update().filter(pk=org_id).values_list("pk").get()
    last = (OrganisationEntry.objects.filter(organisation_id=org_id).order_by("-seq")
            .values_list("seq", "hash").first())
    seq, prev = (last[0], last[1]) if last else (0, chain.GENESIS)
    detail = dict(detail or {})
    at = timezone.now()
    payload = chain.payload_digest(detail, record)
    entry = OrganisationEntry(
        organisation_id=org_id, seq=seq + 1, at=at, actor=actor, action=action,
        subject=subject, detail=detail, payload_digest=payload, prev_hash=prev)
    entry.hash = _entry(org_id, seq + 1, at, actor.pk if actor else None, action, subject,
                        payload, prev).computed_hash()
    entry.save(force_insert=True)
    return entry


def record_membership(membership: Membership, by: User | None, change: str) -> None:
    append(membership.organisation_id, by, MEMBERSHIP, membership_subject(membership.user_id),
           membership_record(membership.user_id, membership.role, membership.user.is_active),
           {"change": change, "role": membership.role})


def remove_membership(organisation_id: int, user_id: int, by: User | None) -> None:
    append(organisation_id, by, MEMBERSHIP_REMOVED, membership_subject(user_id),
           detail={"change": "remove"})


def record_setting(organisation: Organisation, by: User | None, name: str, old: Any,
                   new: Any) -> None:
    """A setting of the organisation's own row (discreet, shares_aggregates, ...): the
    organisation's record as it now is, with the setting's old and new value."""
    values = {f: getattr(organisation, f) for f in ORGANISATION_FIELDS if f != "id"}
    values["id"] = organisation.pk
    append(organisation, by, SETTING, ORGANISATION_SUBJECT, organisation_record(values),
           {"setting": name, "old": old, "new": new})


def record_other_setting(organisation: Organisation, by: User | None, name: str,
                         record: Any, old: Any, new: Any) -> None:
    """A setting another app keeps (its record; None when it went back to the default)."""
    if record is None:
        append(organisation, by, SETTING_REMOVED, setting_subject(name),
               detail={"setting": name, "old": old, "new": new})
    else:
        append(organisation, by, SETTING, setting_subject(name), record,
               {"setting": name, "old": old, "new": new})


def opened(sender: type, instance: Organisation, created: bool, raw: bool = False,
           **kwargs: object) -> None:
    """post_save: however an organisation was created, its ledger starts with it (a restored
    row, raw, comes with its ledger)."""
    if created and not raw:
        open_ledger(instance)


def open_ledger(organisation: Organisation) -> None:
    """The first entry: the organisation as it was created."""
    values = {f: getattr(organisation, f) for f in ORGANISATION_FIELDS if f != "id"}
    values["id"] = organisation.pk
    with transaction.atomic():
        append(organisation, None, OPEN, ORGANISATION_SUBJECT, organisation_record(values))


# --- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    organisation_id: int
    slug: str
    entries: int
    problem: chain.Problem | None


def _entry(org_id: int, seq: int, at: Any, actor_id: int | None, action: str, subject: str,
           payload: str, prev: str, hash_: str = "") -> chain.Entry:
    return chain.Entry(case=chain_name(org_id), seq=seq, at=at.astimezone(UTC).isoformat(),
                       actor=str(actor_id) if actor_id else "system", action=action,
                       subject=subject, payload_digest=payload, prev_hash=prev, hash=hash_)


def current_records(org_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Every row the organisations' ledgers vouch for, as {subject: record}."""
    found: dict[int, dict[str, Any]] = {org_id: {} for org_id in org_ids}
    for values in Organisation.objects.filter(pk__in=org_ids).values(*ORGANISATION_FIELDS):
        found[values["id"]][ORGANISATION_SUBJECT] = organisation_record(values)
    for org_id, user_id, role, active in (Membership.objects.filter(organisation_id__in=org_ids)
                                          .values_list(*MEMBERSHIP_COLUMNS)):
        found[org_id][membership_subject(user_id)] = membership_record(user_id, role, active)
    for provider in PROVIDERS:
        for org_id, records in provider(org_ids).items():
            found[org_id].update(records)
    return found


def verify_all() -> Iterator[Report]:
    """Each organisation's chain and current rows, checked against its ledger."""
    orgs = dict(Organisation.objects.order_by("pk").values_list("pk", "slug"))
    org_ids = list(orgs)
    entries: dict[int, list[tuple[chain.Entry, Any]]] = {org_id: [] for org_id in org_ids}
    for row in (OrganisationEntry.objects.filter(organisation_id__in=org_ids)
                .order_by("organisation_id", "seq").values_list("detail", *COLUMNS)):
        detail, org_id, seq, at, actor_id, action, subject, payload, prev, hash_ = row
        entries[org_id].append(
            (_entry(org_id, seq, at, actor_id, action, subject, payload, prev, hash_), detail))
    records = current_records(org_ids)
    for org_id in org_ids:
        yield Report(org_id, orgs[org_id], len(entries[org_id]),
                     check(entries[org_id], records[org_id]))


def check(entries: Sequence[tuple[chain.Entry, Any]],
          records: Mapping[str, Any]) -> chain.Problem | None:
    """The first problem of one organisation: its chain, then its rows."""
    if not entries:
        return chain.Problem(None, "the organisation has no ledger")
    broken = chain.verify_chain(entry for entry, _detail in entries)
    if broken:
        return broken
    latest: dict[str, chain.Write] = {}
    for entry, detail in entries:
        if entry.action.startswith(NOTE_PREFIX):
            continue
        latest[entry.subject] = chain.Write(entry.seq, detail, entry.payload_digest,
                                            entry.action in REMOVALS)
    problems = chain.verify_records(latest, records)
    return problems[0] if problems else None
