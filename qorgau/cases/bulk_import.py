"""Many case files imported at once: `import-case FILE [FILE ...]`, the API's case-file
route, and the migration of a national deployment's cases.

Each file is checked exactly as `casefile.import_case` checks it, with the same refusals
(Refused, AlreadyImported by the file's digest, CaseFileError with every problem and the JSON
path of each), and each is imported all of it or nothing. A file that fails is reported with
its name and problems and leaves nothing behind; the other files are imported. Running the
same batch again imports only the files that failed before (the others are refused as
already imported), which is what an operator migrating thousands of files wants.

The files are written a block at a time, one transaction per block. A file's case, its
parties and events are built as the services build them (`services.CaseBatch` checks every
party and event as `add_party` and `record_event` do), the block's ids are reserved at once,
each case's ledger is chained in memory from its genesis (case.create, assignment.set, the
parties and events, case.import), and every table is written in one statement (COPY on
PostgreSQL, executemany on SQLite). What other apps keep follows through the same services
and signals as the per-file import: the duties and counts (`events_changed`, once per case),
a closed case's status (`set_status`, so its retention clock). A file with sections
(consent, proceedings, risk, referrals) goes through `casefile.import_case` itself, inside
the block. If writing a block fails unexpectedly, it is rolled back whole and its files are
imported again one by one, so the one that fails is reported alone.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    JSONField,
    Max,
    Model,
    OuterRef,
    Subquery,
    TextField,
)
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from qorgau.accounts.models import Organisation, User
from qorgau.cases import casefile, ledger, records, services, signals
from qorgau.cases.dates import DateSpan
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
from qorgau.fields import EncryptedTextField, keyring

BLOCK_EVENTS = 20_000  # events per transaction (and per statement of each table)
CHUNK_FILES = 1_000  # files read and checked at a time
# Tables in the order they are written (foreign keys).
MODELS: tuple[type[Model], ...] = (Case, CaseAssignment, Party, Event, EventParty, EventLink,
                                   LedgerEntry)


@dataclass
class FileResult:
    """What became of one file: its case, or why it was not imported (`error`)."""

    name: str
    case: Case | None = None
    parties: int = 0
    events: int = 0
    error: casefile.Refused | casefile.CaseFileError | None = None

    @property
    def problems(self) -> list[str]:
        """Why the file was not imported, in plain words (empty if it was)."""
        if isinstance(self.error, casefile.CaseFileError):
            return [str(problem) for problem in self.error.problems]
        return [str(self.error)] if self.error is not None else []


@dataclass
class BatchResult:
    files: list[FileResult]

    @property
    def imported(self) -> list[FileResult]:
        return [f for f in self.files if f.case is not None]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.case is None]


@dataclass
class _Built:
    """A checked file, built in memory and not written yet."""

    result: FileResult
    document: Any
    digest: str
    case: Case | None = None  # None: a file with sections, imported by import_case
    batch: services.CaseBatch | None = None


def import_files(files: Iterable[tuple[str, Any]], organisation: Organisation, by: User,
                 *, jobs: int = 1, block_events: int = BLOCK_EVENTS) -> BatchResult:
    """Import each (name, case file) of `files`; a file is its text (str or bytes), a
    function that reads it (so a migration's files are read a chunk at a time), or its
    parsed JSON. Raises Refused if `by` cannot open cases in `organisation` (nothing is
    imported); every other failure is the file's own, in its FileResult. `jobs` processes
    share the files on PostgreSQL (not inside a transaction: each process has its own
    connection)."""
    if not services.can_open_cases(by, organisation):
        raise casefile.Refused(_("%(email)s cannot open cases in %(organisation)s.")
                               % {"email": by.email, "organisation": organisation.slug})
    # SQLite takes one writer at a time: there, processes would only wait for each other.
    if jobs > 1 and not connection.in_atomic_block and connection.vendor == "postgresql":
        files = list(files)
        if len(files) > 1:
            return _in_processes(files, organisation, by, jobs, block_events)
    results: list[FileResult] = []
    seen: dict[str, FileResult] = {}  # digest -> the file of this batch that carries it
    twice: list[tuple[FileResult, FileResult, Any]] = []  # (file, its first, document)
    chunk: list[tuple[str, Any]] = []
    for file in files:  # a chunk of files at a time: a migration's files need not fit
        chunk.append(file)
        if len(chunk) >= CHUNK_FILES:
            results += _import_chunk(chunk, organisation, by, block_events, seen, twice)
            chunk = []
    if chunk:
        results += _import_chunk(chunk, organisation, by, block_events, seen, twice)
    # A file given twice: refused as the first was imported; if that one failed, tried.
    again = [(result, document) for result, first, document in twice if first.case is None]
    for result, first, _document in twice:
        if first.case is not None:
            result.error = casefile.AlreadyImported(first.case.reference)
    if again:
        retried = import_files([(r.name, d) for r, d in again], organisation, by,
                               block_events=block_events)
        for (result, _document), outcome in zip(again, retried.files, strict=True):
            vars(result).update(vars(outcome))
    return BatchResult(results)


def _load(source: Any) -> Any:
    """A file's parsed JSON: `source` is its text (str or bytes), a function that reads it,
    or the JSON already parsed."""
    if callable(source):
        try:
            source = source()
        except OSError as exc:
            raise casefile.CaseFileError([casefile.Problem("", _(
                "The file cannot be read: %(reason)s.") % {"reason": exc.strerror or exc})]
            ) from exc
    return casefile.loads(source) if isinstance(source, str | bytes) else source


def _import_chunk(files: list[tuple[str, Any]], organisation: Organisation, by: User,
                  block_events: int, seen: dict[str, FileResult],
                  twice: list[tuple[FileResult, FileResult, Any]]) -> list[FileResult]:
    results: list[FileResult] = []
    checked: list[tuple[FileResult, Any, dict[int, DateSpan], str]] = []
    for name, source in files:
        result = FileResult(name)
        results.append(result)
        try:
            document = _load(source)
            spans = casefile.validate(document)
        except casefile.CaseFileError as exc:
            result.error = exc
            continue
        checked.append((result, document, spans, ledger.digest(document)))
    before = _imported_before([digest for _r, _d, _s, digest in checked], organisation)
    pending: list[_Built] = []
    events = 0
    for result, document, spans, digest in checked:
        if digest in before:
            result.error = casefile.AlreadyImported(before[digest])
            continue
        if digest in seen:
            twice.append((result, seen[digest], document))
            continue
        try:
            built = _build(result, document, spans, digest, organisation, by)
        except casefile.CaseFileError as exc:
            result.error = exc
            continue
        seen[digest] = result
        pending.append(built)
        events += len(document["events"])
        if events >= block_events:
            _write_block(pending, organisation, by)
            pending, events = [], 0
    if pending:
        _write_block(pending, organisation, by)
    return results


def _lock_digests(digests: Sequence[str]) -> None:
    """PostgreSQL: hold a lock on each digest until the transaction ends, taken in order
    (no deadlock between two importers); SQLite's writers are serialised already."""
    if connection.vendor != "postgresql" or not digests:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT "
                       "hashtextextended(d, 0) AS k FROM unnest(%s::text[]) AS d ORDER BY 1) "
                       "AS keys", [list(digests)])


def _content_key(source: Any) -> tuple[bytes, int]:
    """(fingerprint, size) of a file as given: the same bytes, the same fingerprint."""
    if callable(source):
        try:
            source = source()
        except OSError as exc:
            source = repr(exc)
    data = source if isinstance(source, bytes) else (
        source.encode() if isinstance(source, str) else
        json.dumps(source, sort_keys=True, ensure_ascii=False).encode())
    return hashlib.sha256(data).digest(), len(data)


def _shares(files: list[tuple[str, Any]], jobs: int) -> list[list[int]]:
    """The files' indexes for each process, about the same size each (the largest placed
    first); the same bytes always go to the same process, so a file given twice is found
    twice by one process (and refused there as already imported)."""
    groups: dict[bytes, list[int]] = {}
    sizes: dict[bytes, int] = {}
    for i, (_name, source) in enumerate(files):
        key, size = _content_key(source)
        groups.setdefault(key, []).append(i)
        sizes[key] = sizes.get(key, 0) + size
    shares: list[list[int]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for key in sorted(groups, key=lambda k: -sizes[k]):
        least = loads.index(min(loads))
        shares[least] += groups[key]
        loads[least] += sizes[key]
    return [sorted(share) for share in shares if share]


def _in_processes(files: list[tuple[str, Any]], organisation: Organisation, by: User,
                  jobs: int, block_events: int) -> BatchResult:
    shares = _shares(files, jobs)
    work = [([files[i] for i in share], organisation.pk, by.pk, block_events)
            for share in shares]
    connections.close_all()  # each process opens its own
    with multiprocessing.get_context("fork").Pool(len(work)) as pool:
        done = pool.map(_work, work)
    results: list[FileResult | None] = [None] * len(files)
    for share, outcome in zip(shares, done, strict=True):
        for i, result in zip(share, outcome, strict=True):
            results[i] = result
    return BatchResult([result for result in results if result is not None])


def _work(job: tuple[list[tuple[str, Any]], int, int, int]) -> list[FileResult]:
    files, organisation_id, user_id, block_events = job
    try:
        return import_files(files, Organisation.objects.get(pk=organisation_id),
                            User.objects.get(pk=user_id), block_events=block_events).files
    finally:
        connections.close_all()


def _imported_before(digests: Sequence[str], organisation: Organisation) -> dict[str, str]:
    """digest -> reference of the organisation's cases built from these documents (as
    `casefile.already_imported`, for many at once)."""
    found: dict[str, str] = {}
    for start in range(0, len(digests), 500):
        rows = (LedgerEntry.objects
                .filter(action="case.import", detail__sha256__in=digests[start:start + 500],
                        case__organisation=organisation)
                .exclude(case__status=Case.Status.ERASED)
                .values_list("detail__sha256", "case__reference"))
        for digest, reference in rows:
            found.setdefault(digest, reference)
    return found


def _has_sections(document: Any) -> bool:
    return any(section.name in document and document[section.name] != section.empty()
               for section in casefile.sections())


def _build(result: FileResult, document: Any, spans: dict[int, DateSpan], digest: str,
           organisation: Organisation, by: User) -> _Built:
    """The file's case, parties and events, checked by the services' own checks and not
    written; CaseFileError (with the place in the file) if a check refuses."""
    result.parties, result.events = len(document["parties"]), len(document["events"])
    built = _Built(result, document, digest)
    if _has_sections(document):
        return built
    path = "$.case"
    try:
        meta = document["case"]
        profile = meta.get("profile", "kz")
        mode = meta.get("mode", Case.Mode.CASEWORK)
        if profile not in PROFILES:  # as services.create_case checks them
            raise ValidationError({"profile": _("Choose a jurisdiction profile from the list.")})
        if mode not in Case.Mode.values:
            raise ValidationError({"mode": _("Choose casework or monitoring.")})
        case = Case(organisation=organisation, reference=services.new_reference(),
                    region=services.check_region(meta["region"], profile), profile=profile,
                    created_by=by, mode=mode)
        # The organisation and the importer exist (can_open_cases): no query to say so.
        services._clean(case, exclude=["reference", "organisation", "created_by"])
        batch = services.CaseBatch(case, by, new=True)
        parties: dict[str, Party] = {}
        for i, party in enumerate(document["parties"]):
            path = f"$.parties[{i}]"
            parties[party["key"]] = batch.add_party(**casefile.party_values(party))
        events: dict[int, Event] = {}
        for i, item in enumerate(document["events"]):
            path = f"$.events[{i}]"
            data = casefile.event_input(item, spans[i], parties, events)
            supersedes = item.get("supersedes")
            events[item["number"]] = batch.add_event(
                data, supersedes=None if supersedes is None else events[supersedes],
                correction_reason=item.get("correction_reason", ""))
    except ValidationError as exc:
        raise casefile.CaseFileError(casefile.service_problems(exc, path)) from exc
    built.case, built.batch = case, batch
    return built


def _write_block(block: list[_Built], organisation: Organisation, by: User) -> None:
    """Write the block's files in one transaction; if that fails, each file on its own."""
    try:
        with transaction.atomic():
            _write(block, organisation, by)
        return
    except (DatabaseError, casefile.CaseFileError) as exc:
        failure = exc
    for built in block:
        built.result.case = None
    if len(block) == 1:
        block[0].result.error = (failure if isinstance(failure, casefile.CaseFileError)
                                 else casefile.CaseFileError([casefile.Problem("", _(
                                     "The case could not be written (%(reason)s); nothing "
                                     "of this file was imported.") % {"reason": failure})]))
        return
    for built in block:
        try:
            fresh = _fresh(built, organisation, by)
        except casefile.CaseFileError as exc:
            built.result.error = exc
            continue
        _write_block([fresh], organisation, by)


def _fresh(built: _Built, organisation: Organisation, by: User) -> _Built:
    """The file built again (ids and timestamps from a rolled-back write discarded)."""
    if built.case is None:
        return built
    return _build(built.result, built.document, casefile.validate(built.document),
                  built.digest, organisation, by)


def _write(block: list[_Built], organisation: Organisation, by: User) -> None:
    """The block's files, in the order the per-file import writes a case: its rows and
    ledger, what is derived from its events, its status, the import's entry. First, under
    a lock on the files' digests, those another writer imported since they were checked."""
    _lock_digests([built.digest for built in block])
    taken = _imported_before([built.digest for built in block], organisation)
    for built in block:
        if built.digest in taken:
            built.result.error = casefile.AlreadyImported(taken[built.digest])
    block = [built for built in block if built.digest not in taken]
    fast = [built for built in block if built.case is not None]
    _unique_references(fast)
    rows: dict[type[Model], list[Model]] = {model: [] for model in MODELS[:4]}
    assignments: list[CaseAssignment] = []
    for built in fast:
        assert built.case is not None and built.batch is not None
        case = built.case
        rows[Case].append(case)
        assignment = CaseAssignment(case=case, user=by, access=CaseAssignment.Access.WRITE)
        assignments.append(assignment)
        rows[CaseAssignment].append(assignment)
        for obj, _parties, _links in built.batch.added():
            rows[type(obj)].append(obj)
    for model, found in rows.items():
        for row, pk in zip(found, _reserve(model, len(found)), strict=True):
            row.pk = pk
    for model in MODELS[1:4]:  # the foreign keys, now that their targets have ids
        relations = [(f.name, f.attname) for f in model._meta.concrete_fields if f.is_relation]
        for row in rows[model]:
            cached = row._state.fields_cache
            for name, attname in relations:
                if name in cached:
                    target = cached[name]
                    # Past the descriptor, which would forget the related object.
                    row.__dict__[attname] = None if target is None else target.pk
    event_parties: list[tuple[Any, ...]] = []
    event_links: list[tuple[Any, ...]] = []
    for built in fast:
        assert built.batch is not None
        for obj, parties, links in built.batch.added():
            if isinstance(obj, Event):
                event_parties += [(obj.pk, party.pk, role) for party, role in parties]
                event_links += [(obj.pk, target.pk, kind) for target, kind in links]
    chain = Chain()
    for built, assignment in zip(fast, assignments, strict=True):
        _ledger(built, assignment, by, chain)
    for model, found in rows.items():
        _insert(model, found)
    insert_rows(EventParty, ("event_id", "party_id", "role"), event_parties)
    insert_rows(EventLink, ("source_id", "target_id", "kind"), event_links)
    new = [NewCase.of(built) for built in fast]
    _send(signals.events_changed, [n for n in new if n.events], by, chain,
          lambda n: {"kinds": n.kinds, "events": [event.pk for event in n.events]})
    closed: list[NewCase] = []  # as services.set_status: the row, its entry, the signal
    for n, built in zip(new, fast, strict=True):
        if _status(built) != n.case.status:
            n.case.status = _status(built)
            closed.append(n)
    for status in {n.case.status for n in closed}:
        Case.objects.filter(pk__in=[n.case.pk for n in closed if n.case.status == status]
                            ).update(status=status)
    for n in closed:
        chain.append(n.case, by, "case.status", records.subject(n.case),
                     records.case_record(n.case))
    _send(signals.status_changed, closed, by, chain, lambda n: {})
    for built in fast:
        assert built.case is not None
        chain.append(built.case, by, "case.import", records.subject(built.case),
                     detail={"sha256": built.digest})
    chain.flush()
    for built in block:
        if built.case is None:  # sections: the per-file import, in a savepoint of its own
            try:
                built.result.case = casefile.import_case(built.document, organisation, by)
            except (casefile.Refused, casefile.CaseFileError) as exc:
                built.result.error = exc
            continue
        built.result.case = built.case


@dataclass
class NewCase:
    """A case a batch has written, as bulk receivers see it: its events (with their ids, in
    the file's order) and links, and the `kinds` that `events_changed` names."""

    case: Case
    events: list[Event]
    links: list[tuple[int, int]]  # (source event id, target event id)
    kinds: frozenset[str] | None

    @classmethod
    def of(cls, built: _Built) -> NewCase:
        assert built.case is not None and built.batch is not None
        events: list[Event] = []
        links: list[tuple[int, int]] = []
        for obj, _parties, targets in built.batch.added():
            if isinstance(obj, Event):
                events.append(obj)
                links += [(obj.pk, target.pk) for target, _kind in targets]
        kinds = (None if any(event.supersedes_id for event in events)
                 else frozenset(event.kind for event in events))
        return cls(built.case, events, links, kinds)


class Chain:
    """The ledger entries of a block's new cases, chained in memory and written at once.
    A bulk receiver appends its entries here, as it would with `services.append`."""

    COLUMNS = ("case_id", "seq", "at", "actor_id", "action", "subject", "detail",
               "payload_digest", "prev_hash", "hash")

    def __init__(self) -> None:
        self.heads: dict[int, tuple[int, str]] = {}
        self.entries: list[tuple[Any, ...]] = []

    def append(self, case: Case, actor: User | None, action: str, subject: str,
               record: Any = None, detail: dict[str, Any] | None = None) -> None:
        """As services._chained: the entry after the case's head, hashed the same way."""
        seq, prev = self.heads.get(case.pk, (0, ledger.GENESIS))
        detail = dict(detail or {})
        at = timezone.now()
        payload = ledger.payload_digest(detail, record)
        entry_hash = ledger.chain_hash(str(case.pk), seq + 1, at.astimezone(UTC).isoformat(),
                                       str(actor.pk) if actor else "system", action, subject,
                                       payload, prev)
        self.heads[case.pk] = (seq + 1, entry_hash)
        self.entries.append((case.pk, seq + 1, at, actor.pk if actor else None, action,
                             subject, detail, payload, prev, entry_hash))

    def flush(self) -> None:
        """Write the entries appended so far."""
        insert_rows(LedgerEntry, self.COLUMNS, self.entries)
        self.entries = []

    def reload(self, cases: Iterable[Case]) -> None:
        """The heads of `cases` as stored (after a receiver appended through the services)."""
        ids = [case.pk for case in cases]
        newest = LedgerEntry.objects.filter(case_id=OuterRef("case_id")).order_by("-seq")
        self.heads.update((case_id, (seq, hash_)) for case_id, seq, hash_ in
                          LedgerEntry.objects.filter(
                              case_id__in=ids, seq=Subquery(newest.values("seq")[:1]))
                          .values_list("case_id", "seq", "hash"))


# What an app does for many new cases at once instead of a receiver of a case signal
# (`events_changed`, `status_changed`) once per case: (the new cases, who imports them,
# the block's ledger chain). Registered by the app, in its own bulk_import module (found as
# Django's admin finds admin modules), so that cases depends on none of them.
BulkReceiver = Callable[[Sequence[NewCase], User, Chain], None]
_bulk_receivers: dict[tuple[int, Any], BulkReceiver] = {}
_discovered: list[bool] = []


def register(signal: Signal, receiver: Callable[..., Any], bulk: BulkReceiver) -> None:
    """Call `bulk` once per block where the batch would send `signal` to `receiver` once
    per case."""
    _bulk_receivers[(id(signal), receiver)] = bulk


def _send(signal: Signal, cases: list[NewCase], by: User, chain: Chain,
          arguments: Callable[[NewCase], dict[str, Any]]) -> None:
    """`signal` for each of `cases`, as the services send it: to each receiver's bulk
    version once, else to the receiver once per case (the ledger written before and its
    heads read after, as the receiver appends through the services)."""
    if not cases:
        return
    if not _discovered:
        autodiscover_modules("bulk_import")
        _discovered.append(True)
    for receiver in signal._live_receivers(Case)[0]:  # synchronous receivers, in order
        bulk = _bulk_receivers.get((id(signal), receiver))
        if bulk is not None:
            bulk(cases, by, chain)
            continue
        chain.flush()
        for new in cases:
            receiver(signal=signal, sender=Case, case=new.case, by=by, **arguments(new))
        chain.reload(new.case for new in cases)


def _unique_references(fast: list[_Built]) -> None:
    """New references for the cases whose random one is taken (as rare as it sounds)."""
    while True:
        cases = {built.case.reference: built.case for built in fast if built.case}
        taken = set(Case.objects.filter(reference__in=list(cases))
                    .values_list("reference", flat=True))
        if not taken and len(cases) == len(fast):
            return
        used = set(cases)
        for built in fast:
            assert built.case is not None
            if built.case.reference in taken or cases.get(built.case.reference) is not (
                    built.case):
                while built.case.reference in used | taken:
                    built.case.reference = services.new_reference()
                used.add(built.case.reference)
                cases[built.case.reference] = built.case


def _ledger(built: _Built, assignment: CaseAssignment, by: User, chain: Chain) -> None:
    """The new case's chain as the services begin it: case.create, assignment.set, each
    party and event."""
    assert built.case is not None and built.batch is not None
    case = built.case
    chain.append(case, by, "case.create", records.subject(case), records.case_record(case))
    chain.append(case, by, "assignment.set", records.subject(assignment),
                 records.assignment_record(assignment))
    for obj, parties, links in built.batch.added():
        if isinstance(obj, Party):
            chain.append(case, by, "party.create", records.subject(obj),
                         records.party_record(obj))
            continue
        record = records.event_record(
            obj, [(party.pk, role) for party, role in parties],
            [(target.number, kind) for target, kind in links],
            obj.supersedes.number if obj.supersedes else None)
        chain.append(case, by, "event.correct" if obj.supersedes else "event.create",
                     records.subject(obj), record)


def _status(built: _Built) -> str:
    return str(built.document["case"].get("status", Case.Status.OPEN))


def _reserve(model: type[Model], count: int) -> list[int]:
    """`count` new ids of `model`'s table, taken from its sequence (PostgreSQL) or after its
    highest (SQLite, whose writers the transaction's lock keeps out)."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [f'"{table}"', count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
    highest = max(found[0] if found else 0,
                  model._default_manager.aggregate(m=Max("pk"))["m"] or 0)
    return list(range(highest + 1, highest + 1 + count))


def _plan(model: type[Model], vendor: str) -> list[tuple[str, str, Field[Any, Any]]]:
    """(attribute, how, field) per column: as it is (dates too: `insert_rows` adapts
    them), JSON text, encrypted, stamped now (auto_now_add), or as the field prepares it
    for the backend."""
    key = (model, vendor)
    if key not in _PLANS:
        plan = []
        for f in model._meta.concrete_fields:
            if isinstance(f, EncryptedTextField):
                how = "encrypt"
            elif isinstance(f, JSONField):
                how = "json"
            elif getattr(f, "auto_now_add", False):
                how = "now"
            elif isinstance(f, CharField | IntegerField | ForeignKey | BooleanField
                            | DateTimeField | DateField) or (
                    vendor == "postgresql" and not isinstance(f, TextField)):
                how = "plain"
            else:
                how = "prep"
            plan.append((f.attname, how, f))
        _PLANS[key] = plan
    return _PLANS[key]


_PLANS: dict[tuple[type[Model], str], list[tuple[str, str, Field[Any, Any]]]] = {}


def _insert(model: type[Model], objs: Sequence[Model]) -> None:
    """The rows as Django writes them (encrypted fields encrypted, JSON as text, dates as
    the backend keeps them, auto_now_add stamped), in one statement."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]
    plan = _plan(model, db.vendor)
    ring = keyring()
    now = timezone.now()
    rows = []
    for obj in objs:
        values = obj.__dict__
        row = []
        for attname, how, f in plan:
            value = values[attname]
            if how == "plain":
                row.append(value)
            elif how == "encrypt":
                row.append(None if value is None else ring.encrypt(str(value)))
            elif how == "json":
                row.append(json.dumps(value))
            elif how == "now":  # as the backend takes it: insert_rows
                values[attname] = now
                row.append(now)
            else:
                row.append(f.get_db_prep_save(value, db))
        rows.append(row)
        obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS
    insert_rows(model, [attname for attname, _how, _f in plan], rows)


def insert_rows(model: type[Model], attnames: Sequence[str],
                 rows: Sequence[Sequence[Any]]) -> None:
    """Rows of values ready for the database into `model`'s columns `attnames`: COPY on
    PostgreSQL, one executemany on SQLite. JSON columns take text, or values to encode."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]
    fields = {f.attname: f for f in model._meta.concrete_fields}
    encode = [i for i, name in enumerate(attnames) if isinstance(fields[name], JSONField)]
    if encode and not isinstance(rows[0][encode[0]], str):
        rows = [[json.dumps(v) if i in encode else v for i, v in enumerate(row)]
                for row in rows]
    if db.vendor != "postgresql":
        adapt = {i: fields[name] for i, name in enumerate(attnames)
                 if isinstance(fields[name], DateTimeField | DateField)}
        if adapt:
            rows = [[adapt[i].get_db_prep_save(v, db) if i in adapt else v
                     for i, v in enumerate(row)] for row in rows]
    table = model._meta.db_table
    columns = ", ".join(db.ops.quote_name(fields[name].column) for name in attnames)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            with cursor.cursor.copy(  # type: ignore[union-attr]
                    f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(attnames))
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',  # noqa: S608  # nosec B608
                           rows)
